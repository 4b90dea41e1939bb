"""Audit logins, logouts, failed logins and lockouts (issue 2, item 4)."""

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .audit import audit_in_transaction
from .middleware import client_ip


def _ip(request) -> str | None:
    return client_ip(request) if request is not None else None


def _sub_district_of(username: str) -> int | None:
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
    username = str(credentials.get("username", ""))[:150]
    audit_in_transaction(
        event_type="auth.login_failed",
        job=username,
        sub_district=_sub_district_of(username),
        after={"username": username},
        ip=_ip(request),
    )


@receiver(user_locked_out, dispatch_uid="core_audit_lockout")
def audit_lockout(sender, request, username, ip_address, **kwargs):
    username = str(username or "")[:150]
    audit_in_transaction(
        event_type="auth.lockout",
        job=username,
        sub_district=_sub_district_of(username),
        after={"username": username, "ip": ip_address},
        ip=ip_address or _ip(request),
    )
