"""Garbage in a URL segment is a 404 and a vote count out of range a message, never a 500 —
on SQLite and on PostgreSQL (which refuses a NUL in a text literal and a count ≥ 2³¹ in an
integer column)."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from appraisal.models import Vote
from core.models import AuditEvent, Role
from tests.appraisal import bundlegen
from tests.appraisal.pageform import post_data
from tests.appraisal.test_bundle_errors import assert_refused_everywhere, imported  # noqa: F401

pytestmark = pytest.mark.django_db

SEGMENTS = ["%00", "LZ%00", "%00LZ", "%01", "%7F", "%0A", "%FF", "%ED%A0%80", "x" * 300]


@pytest.fixture
def quiet_client():
    """A client that returns the 500 page instead of raising, as the server would (DEBUG off)."""
    return Client(raise_request_exception=False)


@pytest.mark.parametrize("segment", SEGMENTS)
@pytest.mark.parametrize("page", ["scoring", "results"])
@pytest.mark.parametrize("role", [Role.OFFICE_STAFF, Role.DEPT_ASSESSOR, Role.COMMUNITY_STAFF])
def test_garbage_code_in_the_url_is_404(quiet_client, org, year, segment, page, role):
    quiet_client.force_login(org.user(role))
    for method in ("get", "post"):
        response = getattr(quiet_client, method)(f"/appraisal/{year.year}/{page}/{segment}/")
        # 405: the drill-down is GET-only and answers a POST so, whatever the code
        assert response.status_code in (403, 404, 405), (method, response.status_code)


def test_real_codes_still_resolve(client, org, year):
    client.force_login(org.user(Role.OFFICE_STAFF))
    assert client.get(reverse("appraisal:scoring", args=[year.year, "LZ"])).status_code == 200
    url = reverse("appraisal:results_unit", args=[year.year, org.community.code])
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("count", ["2147483648", str(2**40), "1000001", "-1", "1e30", "9" * 5000])
def test_vote_count_out_of_range_is_a_message(quiet_client, org, year, count):
    # given the votes page as shown, one count out of range
    quiet_client.force_login(org.user(Role.OFFICE_STAFF))
    url = reverse("appraisal:inputs", args=[year.year])
    data = post_data(quiet_client.get(url).content.decode(), containing="score-")
    data[f"debriefing-satisfied-{org.community.pk}"] = [count]
    data[f"score-{org.community.pk}"] = ["80.00"]
    events = AuditEvent.objects.count()
    # when saved
    response = quiet_client.post(url, data, follow=True)
    # then a message, nothing saved
    assert response.status_code == 200
    assert response.redirect_chain[0][1] == 303
    body = response.content.decode()
    assert org.community.code in body
    assert not Vote.objects.filter(year=year).exists()
    assert AuditEvent.objects.count() == events


def test_vote_count_at_the_bound_is_taken(client, org, year):
    client.force_login(org.user(Role.OFFICE_STAFF))
    url = reverse("appraisal:inputs", args=[year.year])
    data = post_data(client.get(url).content.decode(), containing="score-")
    data[f"debriefing-satisfied-{org.community.pk}"] = ["1000000"]
    assert client.post(url, data).status_code == 302
    assert Vote.objects.get(year=year, unit=org.community, kind="debriefing").satisfied == 1_000_000


@pytest.mark.parametrize("count", [2**31, 10**30, 1_000_001])
def test_bundle_vote_count_out_of_range_is_refused(tmp_path, imported, count):  # noqa: F811
    bad = bundlegen.small_bundle()
    bad["votes"][0]["satisfied"] = count
    json.dumps(bad)
    assert_refused_everywhere(tmp_path, imported, bad, "votes[0].satisfied")
