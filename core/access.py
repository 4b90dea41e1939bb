"""Access helpers: the one place that answers "can this user see / act on this object".

Every view fetches guarded objects through `get_visible_or_404` (404 when the object is outside the
user's scope, so its existence is not disclosed) and checks actions with `require_action` (403).
Apps register a `Policy` per model in their AppConfig.ready(); core registers its own below.

Rules common to all policies:
- nobody sees another sub-district's data (superusers manage the installation through the admin
  only, and are not members of any sub-district);
- auditors read everything of their sub-district and change nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404

from .models import AuditEvent, CalendarDay, CalendarYear, Role, RoleAssignment, Unit, UnitKind


@dataclass(frozen=True)
class Membership:
    unit_id: int
    unit_kind: str
    line: str
    role: str


def memberships(user) -> tuple[Membership, ...]:
    """The user's roles, read once per request and kept on the user object."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return ()
    cached = getattr(user, "_core_memberships", None)
    if cached is None:
        rows = RoleAssignment.objects.filter(
            user_id=user.pk, unit__is_active=True, unit__sub_district_id=user.sub_district_id
        ).values_list("unit_id", "unit__kind", "unit__line", "role")
        cached = tuple(Membership(*row) for row in rows)
        user._core_memberships = cached
    return cached


def roles(user) -> set[str]:
    return {m.role for m in memberships(user)}


def has_role(user, *wanted: str, unit: Unit | int | None = None) -> bool:
    unit_id = unit.pk if isinstance(unit, Unit) else unit
    return any(
        m.role in wanted and (unit_id is None or m.unit_id == unit_id) for m in memberships(user)
    )


def units_for(user, *wanted: str) -> set[int]:
    """Ids of the units in which the user holds any of the roles."""
    return {m.unit_id for m in memberships(user) if m.role in wanted}


def community_ids(user) -> set[int]:
    return units_for(user, Role.COMMUNITY_STAFF, Role.COMMUNITY_SECRETARY)


def department_lines(user) -> set[str]:
    return {m.line for m in memberships(user) if m.role == Role.DEPT_ASSESSOR}


def is_office(user) -> bool:
    return has_role(user, Role.OFFICE_STAFF)


def is_auditor(user) -> bool:
    return has_role(user, Role.AUDITOR)


def is_subdistrict_admin(user) -> bool:
    return has_role(user, Role.ADMIN)


def sub_district_id(user) -> int | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return user.sub_district_id


def in_sub_district(user, obj_sub_district_id: int | None) -> bool:
    own = sub_district_id(user)
    return own is not None and own == obj_sub_district_id and bool(memberships(user))


# --- Policies -----------------------------------------------------------------------------------


class Policy:
    """Visibility and actions for one model. Subclasses override what differs."""

    sub_district_field = "sub_district"

    def scope(self, user, queryset: models.QuerySet) -> models.QuerySet:
        own = sub_district_id(user)
        if own is None or not memberships(user):
            return queryset.none()
        return queryset.filter(**{f"{self.sub_district_field}_id": own})

    def can_view(self, user, obj) -> bool:
        return in_sub_district(user, getattr(obj, f"{self.sub_district_field}_id"))

    def can_act(self, user, obj, action: str) -> bool:
        return False


_policies: dict[type[models.Model], Policy] = {}


def register(model: type[models.Model], policy: Policy) -> None:
    _policies[model] = policy


def policy_for(model_or_obj) -> Policy:
    model = model_or_obj if isinstance(model_or_obj, type) else type(model_or_obj)
    model = model._meta.concrete_model
    try:
        return _policies[model]
    except KeyError:
        raise LookupError(f"No access policy registered for {model.__name__}") from None


def visible(user, queryset: models.QuerySet) -> models.QuerySet:
    """The part of the queryset the user may see."""
    return policy_for(queryset.model).scope(user, queryset)


def can_see(user, obj) -> bool:
    return policy_for(obj).can_view(user, obj)


def can_act(user, obj, action: str) -> bool:
    policy = policy_for(obj)
    return policy.can_view(user, obj) and policy.can_act(user, obj, action)


def get_visible_or_404(user, queryset: models.QuerySet | type[models.Model], **lookup):
    """Fetch one object through the user's scope; 404 if it does not exist *or* is not visible."""
    if isinstance(queryset, type):
        queryset = queryset._default_manager.all()
    try:
        obj = visible(user, queryset).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    return obj


def require_action(user, obj, action: str) -> None:
    """403 unless the user may perform the action on an object they can see."""
    if not can_act(user, obj, action):
        raise PermissionDenied


def role_required(*wanted: str) -> Callable:
    """View decorator: 403 unless the user holds one of the roles in their sub-district."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not has_role(request.user, *wanted):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


# --- Core policies ------------------------------------------------------------------------------

AUDIT_READERS = (Role.AUDITOR, Role.OFFICE_STAFF, Role.ADMIN)
# Installation-level audit events (no sub-district) that every sub-district's readers see: the
# national working-day calendar moves everyone's deadlines.
SHARED_INSTALLATION_EVENTS = ("calendar.",)


def is_installation_admin(user) -> bool:
    """A superuser: administers the installation (sub-districts, the national calendar)."""
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.is_superuser)


class UnitPolicy(Policy):
    """Every member of a sub-district may see its units (the organisation chart)."""

    def can_act(self, user, obj, action: str) -> bool:
        return action == "manage" and is_subdistrict_admin(user)


def _shared_installation_event(event_type: str, sub_district_id: int | None) -> bool:
    return sub_district_id is None and event_type.startswith(SHARED_INSTALLATION_EVENTS)


class AuditEventPolicy(Policy):
    """The Office, auditors and administrators read their sub-district's audit trail and the
    installation's calendar changes; installation administrators read the installation-level
    events (no sub-district: the calendar, failed log-ins of unknown names), nothing of a
    sub-district."""

    def scope(self, user, queryset):
        visible = models.Q(pk__in=[])
        if has_role(user, *AUDIT_READERS):
            visible |= models.Q(sub_district_id=sub_district_id(user))
            for prefix in SHARED_INSTALLATION_EVENTS:
                visible |= models.Q(sub_district__isnull=True, event_type__startswith=prefix)
        if is_installation_admin(user):
            visible |= models.Q(sub_district__isnull=True)
        return queryset.filter(visible)

    def can_view(self, user, obj) -> bool:
        if is_installation_admin(user) and obj.sub_district_id is None:
            return True
        if not has_role(user, *AUDIT_READERS):
            return False
        return super().can_view(user, obj) or _shared_installation_event(
            obj.event_type, obj.sub_district_id
        )


class CalendarPolicy(Policy):
    """The working-day calendar is national: every member and installation administrator reads
    it; only installation administrators change it (it moves every sub-district's deadlines)."""

    def scope(self, user, queryset):
        return queryset if can_read_calendar(user) else queryset.none()

    def can_view(self, user, obj) -> bool:
        return can_read_calendar(user)

    def can_act(self, user, obj, action: str) -> bool:
        return action in {"edit", "delete"} and can_edit_calendar(user)


def can_read_calendar(user) -> bool:
    return bool(memberships(user)) or is_installation_admin(user)


def can_edit_calendar(user) -> bool:
    return is_installation_admin(user)


def can_read_audit(user) -> bool:
    return has_role(user, *AUDIT_READERS) or is_installation_admin(user)


register(Unit, UnitPolicy())
register(AuditEvent, AuditEventPolicy())
register(CalendarDay, CalendarPolicy())
register(CalendarYear, CalendarPolicy())

# Which home-page sections a role sees, in display order.
HOME_ORDER: Iterable[str] = (
    Role.OFFICE_STAFF,
    Role.DEPT_ASSESSOR,
    Role.LEADER,
    Role.COMMUNITY_SECRETARY,
    Role.COMMUNITY_STAFF,
    Role.AUDITOR,
    Role.ADMIN,
)

__all__ = [
    "Membership",
    "Policy",
    "UnitKind",
    "can_act",
    "can_see",
    "get_visible_or_404",
    "has_role",
    "memberships",
    "register",
    "require_action",
    "role_required",
    "visible",
]


class EvidencePolicy(Policy):
    """An evidence file is visible exactly when the object it is attached to is."""

    def can_view(self, user, obj) -> bool:
        if not super().can_view(user, obj):
            return False
        subject = obj.subject_type.get_object_for_this_type(pk=obj.subject_id)
        return can_see(user, subject)


def _register_evidence() -> None:
    from .models import Evidence

    register(Evidence, EvidencePolicy())


_register_evidence()
