"""Who sees and does what in the assessment year (registered with core.access in AppConfig.ready).

- The Office runs the year: settings, catalogue, status, votes and comprehensive inputs, fraud
  findings, the review of bonus claims, the what-if sandbox.
- A lead department sees and scores only the category it leads (Category.lead_unit), with its
  adjustments and spot checks, and drafts that category's indicators while the year is planned
  (Art. 5; the Office approves the whole catalogue before the year starts); the Office leads
  其他任务 for the Leading Group.
- The Leading Group decides bonus claims, fraud findings, full-marks exceptions and corrections of
  a published year.
- A community sees its own reports (with every exclusion and why), its own claims and, once the
  results are published, its own result.
- Auditors and administrators read everything and change nothing.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from core import access
from core.models import Role

from .models import (
    AssessmentYear,
    BonusClaim,
    Category,
    ClaimState,
    Correction,
    FraudFinding,
    Report,
    SelfEvaluation,
    YearStatus,
)

SEE_ALL = (Role.OFFICE_STAFF, Role.AUDITOR, Role.LEADER, Role.ADMIN)
COMMUNITY_ROLES = (Role.COMMUNITY_STAFF, Role.COMMUNITY_SECRETARY)
SCORER_ROLES = (Role.DEPT_ASSESSOR, Role.OFFICE_STAFF)


def sees_all(user) -> bool:
    return access.has_role(user, *SEE_ALL)


def is_office(user) -> bool:
    return access.has_role(user, Role.OFFICE_STAFF)


def is_leader(user) -> bool:
    return access.has_role(user, Role.LEADER)


def lead_units(user) -> set[int]:
    """The units whose categories the user scores (departments; the Office for 其他任务)."""
    return access.units_for(user, *SCORER_ROLES)


def scorable_categories(user, year: AssessmentYear):
    """The categories of the year the user may score: those their unit leads."""
    return Category.objects.filter(year=year, lead_unit_id__in=lead_units(user))


def visible_categories(user, year: AssessmentYear):
    if sees_all(user):
        return Category.objects.filter(year=year)
    return scorable_categories(user, year)


def can_score(user, category: Category) -> bool:
    return category.lead_unit_id is not None and category.lead_unit_id in lead_units(user)


# Art. 6: every unit of the sub-district may object during publicity; auditors and
# administrators read and change nothing.
OBJECTOR_ROLES = tuple(r for r in Role.values if r not in (Role.AUDITOR, Role.ADMIN))


def objector_units(user) -> set[int]:
    return access.units_for(user, *OBJECTOR_ROLES)


def drafting_units(user) -> set[int]:
    """The departments whose category's indicators the user drafts (Art. 5)."""
    return access.units_for(user, Role.DEPT_ASSESSOR)


def can_draft(user, category: Category) -> bool:
    """Art. 5: the Office edits the whole catalogue; a department the category it leads."""
    return is_office(user) or (
        category.lead_unit_id is not None and category.lead_unit_id in drafting_units(user)
    )


def draftable_categories(user, year: AssessmentYear):
    if is_office(user):
        return Category.objects.filter(year=year)
    return Category.objects.filter(year=year, lead_unit_id__in=drafting_units(user))


def community_ids(user) -> set[int]:
    return access.units_for(user, *COMMUNITY_ROLES)


class YearPolicy(access.Policy):
    """Every member of the sub-district may see that a year exists (pages check further)."""

    def can_act(self, user, obj, action: str) -> bool:
        if action in {"manage", "advance", "edit_settings", "edit_catalogue", "inputs"}:
            return is_office(user)
        if action == "draft_catalogue":
            # Art. 5: a department drafts its own category while the year is planned; the
            # Office's right stays and is refused with 409 once the year has started.
            return is_office(user) or (
                bool(drafting_units(user)) and obj.status == YearStatus.PLANNING
            )
        if action in {"decide", "approve_correction"}:
            return is_leader(user)
        return False


class ReportPolicy(access.Policy):
    """A community sees its own reports; a department those of the category it leads."""

    def scope(self, user, queryset):
        queryset = super().scope(user, queryset)
        if sees_all(user):
            return queryset
        q = Q(unit_id__in=community_ids(user))
        leads = lead_units(user)
        if leads:
            q |= Q(indicator__category__lead_unit_id__in=leads)
        return queryset.filter(q)

    def can_view(self, user, obj) -> bool:
        if not super().can_view(user, obj):
            return False
        if sees_all(user) or obj.unit_id in community_ids(user):
            return True
        return obj.indicator.category.lead_unit_id in lead_units(user)

    def can_act(self, user, obj, action: str) -> bool:
        if action == "submit":
            return access.has_role(user, *COMMUNITY_ROLES, unit=obj.unit_id)
        return False


class ClaimPolicy(access.Policy):
    """A community sees its own claims; during publicity (通报展示, Art. 6) every member of the
    sub-district sees the claim and may object to it (auditors only read)."""

    def scope(self, user, queryset):
        queryset = super().scope(user, queryset)
        if sees_all(user):
            return queryset
        return queryset.filter(
            Q(unit_id__in=community_ids(user))
            | Q(status=ClaimState.APPROVED, publicity_ends_at__gt=timezone.now())
        )

    def can_view(self, user, obj) -> bool:
        return super().can_view(user, obj) and (
            sees_all(user) or obj.unit_id in community_ids(user) or obj.in_publicity(timezone.now())
        )

    def can_act(self, user, obj, action: str) -> bool:
        if action == "review":
            return is_office(user)
        if action == "decide":
            return is_leader(user)
        if action == "object":
            return bool(objector_units(user))
        return False


class FraudPolicy(access.Policy):
    """Fraud findings are read by those who see everything (and never by the community)."""

    def scope(self, user, queryset):
        queryset = super().scope(user, queryset)
        return queryset if sees_all(user) else queryset.none()

    def can_view(self, user, obj) -> bool:
        return super().can_view(user, obj) and sees_all(user)

    def can_act(self, user, obj, action: str) -> bool:
        return action == "decide" and is_leader(user)


def results_visible(user, year: AssessmentYear) -> bool:
    """The ranking: those who see everything, and departments (their own category's columns are
    theirs; the ranking is what the Leading Group decides). Communities: their own, once
    published."""
    return (
        sees_all(user)
        or bool(lead_units(user))
        or (year.status in (YearStatus.PUBLISHED, YearStatus.CLOSED) and bool(community_ids(user)))
    )


class _YearScoped(access.Policy):
    sub_district_field = "year__sub_district"

    def can_view(self, user, obj) -> bool:
        return access.in_sub_district(user, obj.year.sub_district_id)


class CorrectionPolicy(access.Policy):
    """A correction is seen by every member of the year's sub-district (the year page names it);
    the Leading Group decides it, the Office closes it (Art. 16)."""

    def can_act(self, user, obj, action: str) -> bool:
        if action == "decide":
            return is_leader(user)
        if action == "close":
            return is_office(user)
        return False


class SelfEvaluationPolicy(access.Policy):
    """Art. 15: a community sees its own self-evaluation; those who see everything and the lead
    departments (the joint team's members) read every community's; only the community writes."""

    def scope(self, user, queryset):
        queryset = super().scope(user, queryset)
        if may_read_all_selfevals(user):
            return queryset
        return queryset.filter(unit_id__in=community_ids(user))

    def can_view(self, user, obj) -> bool:
        return super().can_view(user, obj) and (
            may_read_all_selfevals(user) or obj.unit_id in community_ids(user)
        )


def may_read_all_selfevals(user) -> bool:
    return sees_all(user) or access.has_role(user, Role.DEPT_ASSESSOR)


def register() -> None:
    access.register(AssessmentYear, YearPolicy())

    class CorrectionScoped(CorrectionPolicy, _YearScoped):
        pass

    class ReportScoped(ReportPolicy, _YearScoped):
        pass

    class ClaimScoped(ClaimPolicy, _YearScoped):
        pass

    class FraudScoped(FraudPolicy, _YearScoped):
        pass

    class SelfEvaluationScoped(SelfEvaluationPolicy, _YearScoped):
        pass

    access.register(Report, ReportScoped())
    access.register(BonusClaim, ClaimScoped())
    access.register(FraudFinding, FraudScoped())
    access.register(Correction, CorrectionScoped())
    access.register(SelfEvaluation, SelfEvaluationScoped())
