"""The joint assessment team (联合考核组, Art. 14) and its verification of each category: the
Office names the team when it starts the year-end process; each category's verification is a
group task of its members (the holder enters the values, the team leader signs off)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core import access, steps, workitems
from core.errors import Conflict
from core.models import Role, RoleAssignment, UnitKind, User

from .. import policies
from ..models import (
    AssessmentYear,
    Category,
    CategoryVerification,
    Score,
    TeamMember,
    VerificationEntry,
    VerificationState,
    YearStatus,
)
from .common import MAX_REASON, audit, clean_text, lock_year
from .scoring import CellInput, _save_grid


def _eligible(user_id: int, category: Category) -> bool:
    """A member for a category: an assessor of its lead department, or Office staff for a
    category the Office leads (其他任务)."""
    lead = category.lead_unit
    if lead is not None and lead.kind == UnitKind.DEPARTMENT:
        return RoleAssignment.objects.filter(
            user_id=user_id, unit=lead, role=Role.DEPT_ASSESSOR, user__is_active=True
        ).exists()
    return RoleAssignment.objects.filter(
        user_id=user_id,
        unit__sub_district_id=category.year.sub_district_id,
        unit__kind=UnitKind.OFFICE,
        role=Role.OFFICE_STAFF,
        user__is_active=True,
    ).exists()


def _name(user_id: int) -> str:
    user = User.objects.filter(pk=user_id).first()
    return str(user) if user else str(user_id)


@transaction.atomic
def team_set(*, year_id: int, acting_user, leader_id: int, members: Sequence[tuple[int, int]]):
    """The Office names the joint team: a leader from the Office and at least one member per
    category from its lead department (Art. 14). Refused once a category's verification began."""
    year = lock_year(year_id, acting_user)
    access.require_action(acting_user, year, "manage")
    if year.status not in (YearStatus.IN_PROGRESS, YearStatus.YEAR_END):
        raise Conflict(_("The joint team is named for the year-end appraisal."))
    categories = {c.pk: c for c in Category.objects.filter(year=year).select_related("lead_unit")}
    errors = []
    office_leader = RoleAssignment.objects.filter(
        user_id=leader_id,
        unit__sub_district_id=year.sub_district_id,
        unit__kind=UnitKind.OFFICE,
        role=Role.OFFICE_STAFF,
        user__is_active=True,
    ).exists()
    if not office_leader:
        errors.append(_("The team leader must be a member of the Office's staff."))
    chosen: dict[int, set[int]] = {pk: set() for pk in categories}
    for user_id, category_id in members:
        category = categories.get(category_id)
        if category is None:
            raise PermissionDenied
        if not _eligible(user_id, category):
            errors.append(
                _("%(name)s is not an assessor of the lead department of %(category)s.")
                % {"name": _name(user_id), "category": category.name}
            )
        chosen[category_id].add(user_id)
    for pk, users in chosen.items():
        if not users:
            errors.append(
                _("Name at least one member for %(category)s.") % {"category": categories[pk].name}
            )
    if errors:
        raise ValidationError(errors)
    started = set(
        CategoryVerification.objects.filter(year=year).values_list("category_id", flat=True)
    )

    def order(row):
        return (row[0], row[1] or 0, row[2])

    before = sorted(
        TeamMember.objects.filter(year=year).values_list("user_id", "category_id", "is_leader"),
        key=order,
    )
    after = sorted(
        [(leader_id, None, True)]
        + [(u, c, False) for c, users in chosen.items() for u in sorted(users)],
        key=order,
    )
    if before == after:
        return
    for category_id in started:
        old = {u for u, c, _l in before if c == category_id}
        if old != chosen[category_id]:
            raise Conflict(
                _("The verification of %(category)s has begun: its members stay as they are.")
                % {"category": categories[category_id].name}
            )
    TeamMember.objects.filter(year=year).delete()
    TeamMember.objects.bulk_create(
        TeamMember(year=year, user_id=u, category_id=c, is_leader=leader) for u, c, leader in after
    )
    audit(
        "appraisal.team_set",
        actor=acting_user,
        subject=year,
        year=year,
        before={"members": [[u, c] for u, c, _l in before if c], "leader": _leader(before)},
        after={"members": [[u, c] for u, c, _l in after if c], "leader": leader_id},
    )


def _leader(rows):
    return next((u for u, _c, leader in rows if leader), None)


def team_members(*, year_id: int, category_id: int) -> list:
    return [
        m.user
        for m in TeamMember.objects.filter(year_id=year_id, category_id=category_id)
        .select_related("user")
        .order_by("user__username")
    ]


def team_leader(year):
    member = TeamMember.objects.filter(year=year, is_leader=True).select_related("user").first()
    return member.user if member else None


def is_team_member(user, year, category) -> bool:
    return TeamMember.objects.filter(year=year, category=category, user=user).exists()


def is_team_leader(user, year) -> bool:
    return TeamMember.objects.filter(year=year, is_leader=True, user=user).exists()


def verification_open(*, year, category_id: int, due_at, round) -> CategoryVerification:
    """A category's verification opens (called by the orchestration; idempotent). A later round
    starts from the verified values as they stand; the earlier rounds keep their entries."""
    year = year if isinstance(year, AssessmentYear) else AssessmentYear.objects.get(pk=year)
    verification, _created = CategoryVerification.objects.get_or_create(
        year=year, category_id=category_id, round=round, defaults={"due_at": due_at}
    )
    return verification


@dataclass(frozen=True)
class VerifiedCell:
    unit_id: int
    indicator_id: int
    value: str  # "" clears the verified value
    comment: str = ""


def _lock_verification(verification_id, acting_user, expected_version) -> CategoryVerification:
    verification = (
        CategoryVerification.objects.select_for_update()
        .select_related("year", "category")
        .filter(pk=verification_id, year__sub_district_id=acting_user.sub_district_id)
        .first()
    )
    if verification is None:
        raise PermissionDenied
    url = verification.get_absolute_url()
    if verification.state != VerificationState.OPEN:
        raise Conflict(_("This verification was signed off already."), url=url)
    if expected_version is not None and expected_version != verification.version:
        raise Conflict(
            _("Someone saved this verification since the page was opened. Nothing was changed."),
            url=url,
        )
    return verification


def latest_entries(verification: CategoryVerification) -> dict:
    """The last value and comment entered per (unit, indicator) in this round."""
    latest = {}
    for entry in VerificationEntry.objects.filter(verification=verification).order_by("pk"):
        latest[(entry.unit_id, entry.indicator_id)] = entry
    return latest


@transaction.atomic
def verification_save(
    *, verification_id: int, acting_user, cells: Sequence[VerifiedCell], expected_version
) -> int:
    """The holder of the category's task enters verified values and comments (Art. 14): each
    value replaces the department's score (scoring.md §1); each change is kept for the round."""
    verification = _lock_verification(verification_id, acting_user, expected_version)
    year, category = verification.year, verification.category
    if not is_team_member(acting_user, year, category):
        raise PermissionDenied
    holder = workitems.holder_of(subject=verification)
    if holder is None or holder.pk != acting_user.pk:
        raise Conflict(
            _("Claim the task first (请先领取任务): only the member who holds it enters values."),
            url=verification.get_absolute_url(),
        )
    scores = {
        (s.unit_id, s.indicator_id): s
        for s in Score.objects.filter(year=year, indicator__category=category)
    }
    latest = latest_entries(verification)
    changed, errors = [], {}
    for cell in cells:
        comment_key = f"c-{cell.unit_id}-{cell.indicator_id}"
        try:
            comment = clean_text(
                cell.comment, label=_("Comment"), max_length=MAX_REASON, required=False
            )
        except ValidationError as exc:
            errors[comment_key] = exc.messages
            continue
        score = scores.get((cell.unit_id, cell.indicator_id))
        current = score.verified_score if score else None
        entry = latest.get((cell.unit_id, cell.indicator_id))
        same_value = (str(current) if current is not None else "") == str(cell.value).strip()
        same_comment = (entry.comment if entry else "") == comment
        if not (same_value and same_comment):
            changed.append((cell, comment))
    if errors:
        raise ValidationError(errors)
    if not changed:
        return 0
    _save_grid(
        year,
        category,
        acting_user,
        [CellInput(c.unit_id, c.indicator_id, c.value) for c, _comment in changed],
        field="verified_score",
    )
    now = timezone.now()
    fresh = {
        (s.unit_id, s.indicator_id): s.verified_score
        for s in Score.objects.filter(year=year, indicator__category=category)
    }
    VerificationEntry.objects.bulk_create(
        VerificationEntry(
            verification=verification,
            unit_id=c.unit_id,
            indicator_id=c.indicator_id,
            value=fresh.get((c.unit_id, c.indicator_id)),
            comment=comment,
            entered_by=acting_user,
            entered_at=now,
        )
        for c, comment in changed
    )
    verification.version += 1
    verification.save(update_fields=["version"])
    return len(changed)


@transaction.atomic
def verification_signoff(
    *, verification_id: int, acting_user, expected_version
) -> CategoryVerification:
    """The team leader signs the category's verification off; the process moves on."""
    verification = _lock_verification(verification_id, acting_user, expected_version)
    if not is_team_leader(acting_user, verification.year):
        raise PermissionDenied
    verification.state = VerificationState.SIGNED_OFF
    verification.signed_off_at = timezone.now()
    verification.signed_off_by = acting_user
    verification.version += 1
    verification.save(update_fields=["state", "signed_off_at", "signed_off_by", "version"])
    audit(
        "appraisal.verification_signed_off",
        actor=acting_user,
        subject=verification,
        year=verification.year,
        after={"category": verification.category.code, "round": verification.round},
    )
    steps.done(subject=verification, step="verification.signed_off", acting_user=acting_user)
    return verification


def may_read_verification(user, year, category) -> bool:
    """Team members and the leader, and those who see everything; the lead department reads its
    own category's."""
    if policies.sees_all(user):
        return True
    membership = Q(category=category) | Q(is_leader=True)
    if TeamMember.objects.filter(year=year, user=user).filter(membership).exists():
        return True
    return category.lead_unit_id in policies.lead_units(user)
