"""A setting stored before the settings had ranges (rank_bonus 1e26 was accepted then) breaks no
page: the year page names it as out of range, and the results, drill-down and export still open
(with DEBUG off an exception would have been a 500 for every role)."""

import pytest
from django.urls import reverse

from appraisal.models import AssessmentYear
from core.models import Role

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", [Role.OFFICE_STAFF, Role.AUDITOR, Role.COMMUNITY_STAFF])
def test_an_out_of_range_setting_stored_earlier_is_named_and_breaks_no_page(
    client, org, year, role
):
    # given a rank addition of 1e26, written before the range check existed
    AssessmentYear.objects.filter(pk=year.pk).update(rank_bonus=["1E+26", "0.20"])
    client.raise_request_exception = False
    client.force_login(org.user(role))
    # then the year page opens and names the setting
    page = client.get(reverse("appraisal:year", args=[year.year]))
    assert page.status_code == 200
    if role != Role.COMMUNITY_STAFF:
        assert "settings-problems" in page.content.decode()
    # and the results pages open (where the role may see them at all)
    for name, args in [
        ("appraisal:results", [year.year]),
        ("appraisal:results_unit", [year.year, "A-c01"]),
        ("appraisal:results_export", [year.year]),
    ]:
        response = client.get(reverse(name, args=args))
        assert response.status_code < 500, (name, response.status_code)
