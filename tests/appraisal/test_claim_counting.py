"""The claim page and the results count a bonus claim with the same function at the same moment
(scoring.md §3, Art. 6): the results' as_of, fixed when the year is decided. A claim whose
publicity ends between the year's as_of and now does not count on either."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from appraisal.models import AssessedUnit, AssessmentYear, BonusClaim, BonusLevel, ClaimState
from appraisal.results import compute
from core.models import Role


def _claim(year, unit, *, publicity_ends_at) -> BonusClaim:
    now = timezone.now()
    return BonusClaim.objects.create(
        year=year,
        unit=unit,
        level=BonusLevel.DISTRICT,
        title="区级先进基层党组织",
        status=ClaimState.APPROVED,
        declared_at=now - dt.timedelta(days=30),
        declare_by=now - dt.timedelta(days=20),
        publicity_ends_at=publicity_ends_at,
    )


def _page(client, org, claim) -> tuple[bool, list[str]]:
    client.force_login(org.user(Role.OFFICE_STAFF))
    response = client.get(reverse("appraisal:claim", args=[claim.pk]))
    assert response.status_code == 200
    return response.context["counted"], response.context["reasons"]


def _results(year, claim) -> bool:
    code = AssessedUnit.objects.get(year=year, unit=claim.unit).code
    unit = compute(AssessmentYear.objects.get(pk=year.pk)).results.unit(code)
    counted = {c.claim.ref for c in unit.claims_counted}
    not_counted = {c.claim.ref for c in unit.claims_not_counted}
    assert claim.pk in counted | not_counted
    return claim.pk in counted


@pytest.mark.parametrize(
    ("as_of_days", "publicity_days", "counts"),
    [
        # decided 10 days ago; publicity ended 5 days ago, after as_of: counts nowhere
        (-10, -5, False),
        # publicity ended before as_of: counts on both
        (-10, -15, True),
    ],
)
def test_the_claim_page_and_the_results_agree(
    client, org, year, as_of_days, publicity_days, counts
):
    now = timezone.now()
    AssessmentYear.objects.filter(pk=year.pk).update(as_of=now + dt.timedelta(days=as_of_days))
    year.refresh_from_db()
    claim = _claim(year, org.community, publicity_ends_at=now + dt.timedelta(days=publicity_days))
    counted, reasons = _page(client, org, claim)
    assert counted is counts
    assert _results(year, claim) is counts
    assert bool(reasons) is not counts
