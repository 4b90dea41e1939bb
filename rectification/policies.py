"""Who sees and acts on notices (registered with core.access in RectificationConfig.ready).

- The Office, auditors, the Leading Group and administrators of the sub-district see every notice.
- A lead department sees the notices its unit issued (and its own drafts).
- A community sees the notices addressed to it, once issued (never drafts).
- Issuer actions (issue, return, verify, withdraw, escalate, interview): office staff or
  department assessors of the issuing unit. Community actions (reply, measures): the target
  community's staff or secretary. Auditors never act.
"""

from django.db.models import Q

from core import access
from core.models import Role

from .models import Measure, MeasureSet, Notice, Reply

SEE_ALL = (Role.OFFICE_STAFF, Role.AUDITOR, Role.LEADER, Role.ADMIN)
ISSUER_ROLES = (Role.OFFICE_STAFF, Role.DEPT_ASSESSOR)
COMMUNITY_ROLES = (Role.COMMUNITY_STAFF, Role.COMMUNITY_SECRETARY)

ISSUER_ACTIONS = {
    "edit",
    "issue",
    "return",
    "verify",
    "withdraw",
    "escalate",
    "interview",
    "decide_extension",
}
COMMUNITY_ACTIONS = {"reply", "measures", "extension"}


def notice_q(user) -> Q | None:
    """The filter of notices the user may see; None for all of the sub-district."""
    if access.has_role(user, *SEE_ALL):
        return None
    q = Q(pk__in=[])
    issuer_units = access.units_for(user, Role.DEPT_ASSESSOR)
    if issuer_units:
        q |= Q(issuing_unit_id__in=issuer_units)
    communities = access.community_ids(user)
    if communities:
        # A community sees a notice once it has been issued (never a draft, nor a draft withdrawn).
        q |= Q(target_id__in=communities, issued_at__isnull=False)
    return q


def can_issue_for(user, unit_id: int) -> bool:
    return access.has_role(user, *ISSUER_ROLES, unit=unit_id)


class NoticePolicy(access.Policy):
    def scope(self, user, queryset):
        queryset = super().scope(user, queryset)
        q = notice_q(user)
        return queryset if q is None else queryset.filter(q)

    def can_view(self, user, obj) -> bool:
        if not super().can_view(user, obj):
            return False
        if access.has_role(user, *SEE_ALL):
            return True
        if access.has_role(user, Role.DEPT_ASSESSOR, unit=obj.issuing_unit_id):
            return True
        return obj.issued_at is not None and access.has_role(
            user, *COMMUNITY_ROLES, unit=obj.target_id
        )

    def can_act(self, user, obj, action: str) -> bool:
        if action in ISSUER_ACTIONS:
            return can_issue_for(user, obj.issuing_unit_id)
        if action in COMMUNITY_ACTIONS:
            return access.has_role(user, *COMMUNITY_ROLES, unit=obj.target_id)
        return False


class NoticePartPolicy(access.Policy):
    """Replies and measure sets are visible exactly when their notice is."""

    def scope(self, user, queryset):
        return queryset.filter(notice__in=access.visible(user, Notice.objects.all()))

    def can_view(self, user, obj) -> bool:
        return access.can_see(user, obj.notice)


class MeasurePolicy(access.Policy):
    def scope(self, user, queryset):
        return queryset.filter(measure_set__notice__in=access.visible(user, Notice.objects.all()))

    def can_view(self, user, obj) -> bool:
        return access.can_see(user, obj.measure_set.notice)


def register() -> None:
    access.register(Notice, NoticePolicy())
    access.register(Reply, NoticePartPolicy())
    access.register(MeasureSet, NoticePartPolicy())
    access.register(Measure, MeasurePolicy())
