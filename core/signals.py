"""Audit logins, logouts, failed logins and lockouts: who entered the system is part of the trail.

A failed log-in (or lockout) of a name nobody holds has no sub-district: it is an
installation-level event, read by installation administrators (core.access.AuditEventPolicy).
"""

import unicodedata

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .audit import audit_in_transaction
from .middleware import client_ip


def _ip(request) -> str | None:
    return client_ip(request) if request is not None else None


def _typed_name(value) -> str:
    """The username as typed, safe to store and show: control characters (NUL, escapes,
    newlines) removed, at most 150 characters (PostgreSQL refuses NUL in text)."""
    text = "".join(ch for ch in str(value or "") if unicodedata.category(ch) not in {"Cc", "Cf"})
    return text.strip()[:150]


def _sub_district_of(username: str, typed) -> int | None:
    if username != str(typed or "")[:150]:
        return None  # not a name anyone can hold: nobody's sub-district
    User = get_user_model()
    return User.objects.filter(username=username).values_list("sub_district_id", flat=True).first()


@receiver(user_logged_in, dispatch_uid="core_audit_login")
def audit_login(sender, request, user, **kwargs):
    audit_in_transaction(
        event_type="auth.login",
        actor=user,
        subject=user,
        sub_district=user.sub_district_id,
        ip=_ip(request),
    )


@receiver(user_logged_out, dispatch_uid="core_audit_logout")
def audit_logout(sender, request, user, **kwargs):
    if user is None:  # the session had already expired
        return
    audit_in_transaction(
        event_type="auth.logout",
        actor=user,
        subject=user,
        sub_district=user.sub_district_id,
        ip=_ip(request),
    )


@receiver(user_login_failed, dispatch_uid="core_audit_login_failed")
def audit_login_failed(sender, credentials, request=None, **kwargs):
    typed = credentials.get("username", "")
    username = _typed_name(typed)
    audit_in_transaction(
        event_type="auth.login_failed",
        job=username,
        sub_district=_sub_district_of(username, typed),
        after={"username": username},
        ip=_ip(request),
    )


@receiver(user_locked_out, dispatch_uid="core_audit_lockout")
def audit_lockout(sender, request, username, ip_address, **kwargs):
    typed, username = username, _typed_name(username)
    audit_in_transaction(
        event_type="auth.lockout",
        job=username,
        sub_district=_sub_district_of(username, typed),
        after={"username": username, "ip": ip_address},
        ip=ip_address or _ip(request),
    )
