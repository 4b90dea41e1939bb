"""Reads of the bonus claims: whether a claim counts, as the results say (scoring.md §3)."""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy

from .. import domain
from ..models import AssessmentYear, BonusClaim, ClaimState
from ..results import claim_result

CLAIM_REASONS = {
    domain.CLAIM_NOT_DECLARED: gettext_lazy("declared after the deadline"),
    domain.CLAIM_LATE: gettext_lazy("declared after the deadline"),
    domain.CLAIM_NOT_APPROVED: gettext_lazy("not approved by the Leading Group"),
    domain.CLAIM_PUBLICITY_OPEN: gettext_lazy("publicity period not over"),
}


def claim_counts(claim: BonusClaim, year: AssessmentYear) -> tuple[bool, list[str]]:
    """Whether the claim counts, and why not (scoring.md §3, Art. 6, 12): the results' own
    verdict, at the moment the results are computed at (the year's as_of once decided)."""
    verdict = claim_result(claim, year)
    return verdict.counted, [str(CLAIM_REASONS[r]) for r in verdict.reasons]


def publicity_board(year: AssessmentYear, now):
    """The claims of the year in publicity (通报展示, Art. 6), every unit of the sub-district
    reads them: soonest end first, with the number of open objections."""
    return (
        BonusClaim.objects.filter(year=year, status=ClaimState.APPROVED, publicity_ends_at__gt=now)
        .select_related("unit")
        .annotate(open_objections=Count("objections", filter=Q(objections__status="open")))
        .order_by("publicity_ends_at", "id")
    )


def objections_of(claim: BonusClaim):
    return claim.objections.select_related("unit", "raised_by", "handled_by")
