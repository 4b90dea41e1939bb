"""Who sees and acts on rectification plans and their items (core.access; Art. 20).

- The Office, auditors, the Leading Group and administrators of the sub-district see every plan.
- A community sees its own plans and items.
- A lead department sees the items whose problem came from its category, and the plans that
  hold them (with only those items).
- Community actions (draft, progress, close-out request, extension request): the community's
  staff or secretary; submitting the plan: its secretary (Art. 20: the committee reports it).
- Office actions (review, close out, return, extension decisions, escalation, linking): office
  staff. The Leading Group's acceptance: its members. Auditors never act.
"""

from __future__ import annotations

from django.db.models import Q

from core import access
from core.models import Role

from ..models import Milestone, PlanItem, ProgressUpdate, RectificationPlan

SEE_ALL = (Role.OFFICE_STAFF, Role.AUDITOR, Role.LEADER, Role.ADMIN)
COMMUNITY_ROLES = (Role.COMMUNITY_STAFF, Role.COMMUNITY_SECRETARY)

COMMUNITY_ACTIONS = {"draft", "progress", "request_close", "request_extension"}
SECRETARY_ACTIONS = {"submit"}
OFFICE_ACTIONS = {"review", "verify", "decide_extension", "escalate", "link"}
LEADER_ACTIONS = {"accept"}


def item_q(user, prefix: str = "") -> Q | None:
    """The filter of plan items the user may see; None for all of the sub-district."""
    if access.has_role(user, *SEE_ALL):
        return None
    q = Q(pk__in=[]) if not prefix else Q(**{f"{prefix}pk__in": []})
    communities = access.units_for(user, *COMMUNITY_ROLES)
    if communities:
        q |= Q(**{f"{prefix}plan__unit_id__in": communities})
    departments = access.units_for(user, Role.DEPT_ASSESSOR)
    if departments:
        q |= Q(**{f"{prefix}department_id__in": departments})
    return q


def plan_q(user) -> Q | None:
    """The filter of plans the user may see; None for all of the sub-district."""
    if access.has_role(user, *SEE_ALL):
        return None
    q = Q(pk__in=[])
    communities = access.units_for(user, *COMMUNITY_ROLES)
    if communities:
        q |= Q(unit_id__in=communities)
    departments = access.units_for(user, Role.DEPT_ASSESSOR)
    if departments:
        q |= Q(pk__in=PlanItem.objects.filter(department_id__in=departments).values("plan_id"))
    return q


def sees_whole_plan(user, plan: RectificationPlan) -> bool:
    """Everyone but a lead department sees every item of a plan it may see."""
    return access.has_role(user, *SEE_ALL) or access.has_role(
        user, *COMMUNITY_ROLES, unit=plan.unit_id
    )


def _can_act(user, unit_id: int, action: str) -> bool:
    if action in COMMUNITY_ACTIONS:
        return access.has_role(user, *COMMUNITY_ROLES, unit=unit_id)
    if action in SECRETARY_ACTIONS:
        return access.has_role(user, Role.COMMUNITY_SECRETARY, unit=unit_id)
    if action in OFFICE_ACTIONS:
        return access.has_role(user, Role.OFFICE_STAFF)
    if action in LEADER_ACTIONS:
        return access.has_role(user, Role.LEADER)
    return False


class PlanPolicy(access.Policy):
    def scope(self, user, queryset):
        queryset = super().scope(user, queryset)
        q = plan_q(user)
        return queryset if q is None else queryset.filter(q)

    def can_view(self, user, obj) -> bool:
        if not super().can_view(user, obj):
            return False
        if sees_whole_plan(user, obj):
            return True
        departments = access.units_for(user, Role.DEPT_ASSESSOR)
        return bool(departments) and obj.items.filter(department_id__in=departments).exists()

    def can_act(self, user, obj, action: str) -> bool:
        return access.in_sub_district(user, obj.sub_district_id) and _can_act(
            user, obj.unit_id, action
        )


class PlanItemPolicy(access.Policy):
    def scope(self, user, queryset):
        queryset = queryset.filter(plan__sub_district_id=access.sub_district_id(user))
        q = item_q(user)
        return queryset if q is None else queryset.filter(q)

    def can_view(self, user, obj) -> bool:
        if not access.in_sub_district(user, obj.plan.sub_district_id):
            return False
        if sees_whole_plan(user, obj.plan):
            return True
        return obj.department_id is not None and access.has_role(
            user, Role.DEPT_ASSESSOR, unit=obj.department_id
        )

    def can_act(self, user, obj, action: str) -> bool:
        return access.in_sub_district(user, obj.plan.sub_district_id) and _can_act(
            user, obj.plan.unit_id, action
        )


class ItemPartPolicy(access.Policy):
    """Milestones and progress updates are visible exactly when their item is."""

    def scope(self, user, queryset):
        return queryset.filter(item__in=access.visible(user, PlanItem.objects.all()))

    def can_view(self, user, obj) -> bool:
        return access.can_see(user, obj.item)


def register() -> None:
    access.register(RectificationPlan, PlanPolicy())
    access.register(PlanItem, PlanItemPolicy())
    access.register(Milestone, ItemPartPolicy())
    access.register(ProgressUpdate, ItemPartPolicy())
