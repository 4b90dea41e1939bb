"""Corrections are fetched through the access policy (policies.CorrectionPolicy): an id that does
not exist, or a correction of another sub-district, is a 404 — never a 500, never a 403 that says
it exists."""

import pytest
from django.http import Http404

from appraisal import services
from appraisal.models import AssessmentYear, Correction, YearStatus
from core.models import Role


@pytest.fixture
def correction(org, year):
    AssessmentYear.objects.filter(pk=year.pk).update(status=YearStatus.PUBLISHED)
    return services.correction_request(
        year_id=year.pk, acting_user=org.user(Role.OFFICE_STAFF), reason="录入错误"
    )


def test_a_bad_correction_id_is_404(org, correction):
    missing = Correction.objects.order_by("-pk").first().pk + 1
    with pytest.raises(Http404):
        services.correction_decide(
            correction_id=missing, acting_user=org.user(Role.LEADER), approve=True, note=""
        )
    with pytest.raises(Http404):
        services.correction_close(correction_id=missing, acting_user=org.user(Role.OFFICE_STAFF))


def test_another_sub_districts_correction_is_404(other_org, correction):
    with pytest.raises(Http404):
        services.correction_decide(
            correction_id=correction.pk,
            acting_user=other_org.user(Role.LEADER),
            approve=True,
            note="",
        )
    with pytest.raises(Http404):
        services.correction_close(
            correction_id=correction.pk, acting_user=other_org.user(Role.OFFICE_STAFF)
        )
    correction.refresh_from_db()
    assert correction.decided_at is None


def test_the_leading_group_decides_through_the_policy(org, correction):
    decided = services.correction_decide(
        correction_id=correction.pk, acting_user=org.user(Role.LEADER), approve=True, note=""
    )
    assert decided.state == "approved"
