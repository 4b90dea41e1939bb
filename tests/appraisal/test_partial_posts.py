"""A POST that lacks a field its form shows is refused (400, a message naming the field) and
changes nothing; the page submitted unchanged changes nothing either, not even the audit trail.

Field by field, an empty value keeps its meaning: an empty vote count is 0 ballots, an empty
comprehensive score "not yet known", an empty score box clears the department's score (for the
joint team: keeps the department's), an empty comment no comment."""

from decimal import Decimal

import pytest
from django.urls import reverse

from appraisal import services
from appraisal.models import (
    AssessmentYear,
    Category,
    Comprehensive,
    Indicator,
    Score,
    Vote,
    VoteKind,
)
from core.models import AuditEvent, Role
from tests.appraisal.pageform import post_data

pytestmark = pytest.mark.django_db


def _snapshot(year):
    """Every stored input of the year, field for field, and the audit trail's length."""
    return {
        "votes": sorted(
            Vote.objects.filter(year=year).values_list(
                "unit_id", "kind", "satisfied", "basically", "dissatisfied"
            )
        ),
        "comprehensive": sorted(
            Comprehensive.objects.filter(year=year).values_list("unit_id", "score", "advanced")
        ),
        "scores": sorted(
            Score.objects.filter(year=year).values_list(
                "unit_id", "indicator_id", "department_score", "verified_score", "comment"
            )
        ),
        "indicators": sorted(
            Indicator.objects.filter(year=year).values_list(
                "code", "name", "description", "max_points", "evidence_required", "schedule"
            )
        ),
        "settings": list(
            AssessmentYear.objects.filter(pk=year.pk).values_list(*services.SETTING_FIELDS)
        ),
        "audit": AuditEvent.objects.count(),
    }


@pytest.fixture
def inputs(org, year):
    """Both communities with votes (900 satisfied) and a comprehensive score."""
    office = org.user(Role.OFFICE_STAFF)
    rows = [
        {"unit_id": u.pk, "kind": kind, "satisfied": 900, "basically": 30, "dissatisfied": 5}
        for u in (org.community, org.community2)
        for kind in VoteKind.values
    ]
    services.votes_save(year_id=year.pk, acting_user=office, rows=rows)
    services.comprehensive_save(
        year_id=year.pk,
        acting_user=office,
        rows=[
            {"unit_id": org.community.pk, "score": "92.50", "advanced": True},
            {"unit_id": org.community2.pk, "score": "81.00", "advanced": False},
        ],
    )
    return year


def _inputs_page(client, org, year):
    client.force_login(org.user(Role.OFFICE_STAFF))
    url = reverse("appraisal:inputs", args=[year.year])
    return url, post_data(client.get(url).content.decode(), containing="score-")


# ---------------------------------------------------------------- votes and comprehensive


def test_inputs_saved_unchanged_change_nothing(client, org, inputs):
    # given the page as shown
    url, data = _inputs_page(client, org, inputs)
    before = _snapshot(inputs)
    # when it is submitted unchanged
    response = client.post(url, data)
    # then nothing changes, and no audit row is written
    assert response.status_code == 302
    assert _snapshot(inputs) == before


@pytest.mark.parametrize(
    "erase",
    ["score-{c2}", "debriefing-satisfied-{c2}", "democratic-dissatisfied-{c1}", "advanced-{c1}"],
)
def test_inputs_missing_a_field_is_400_and_changes_nothing(client, org, inputs, erase):
    # given the page as shown, one field erased from the POST
    url, data = _inputs_page(client, org, inputs)
    name = erase.format(c1=org.community.pk, c2=org.community2.pk)
    del data[name]
    data[f"score-{org.community.pk}"] = ["70.00"]  # and a change elsewhere, not to be saved
    before = _snapshot(inputs)
    # when it is posted
    response = client.post(url, data)
    # then it is refused, naming the missing field's community, and nothing changed
    assert response.status_code == 400
    body = response.content.decode()
    unit = org.community2 if "{c2}" in erase else org.community
    assert "incomplete" in body and unit.name in body
    assert _snapshot(inputs) == before


def test_inputs_empty_post_is_400_and_changes_nothing(client, org, inputs):
    client.force_login(org.user(Role.OFFICE_STAFF))
    before = _snapshot(inputs)
    response = client.post(reverse("appraisal:inputs", args=[inputs.year]), {})
    assert response.status_code == 400
    assert _snapshot(inputs) == before


def test_inputs_blank_fields_keep_their_meaning(client, org, inputs):
    # given the page, with c2's comprehensive score emptied, a count emptied and c1's box unticked
    url, data = _inputs_page(client, org, inputs)
    c1, c2 = org.community.pk, org.community2.pk
    data[f"score-{c2}"] = [""]
    data[f"debriefing-basically-{c1}"] = [""]
    data[f"advanced-{c1}"] = ["off"]  # the hidden field alone: the box is not ticked
    # when posted
    assert client.post(url, data).status_code == 302
    # then c2 has no comprehensive score (not yet known), the count is 0, c1 is not advanced
    assert not Comprehensive.objects.filter(year=inputs, unit_id=c2).exists()
    vote = Vote.objects.get(year=inputs, unit_id=c1, kind=VoteKind.DEBRIEFING)
    assert (vote.satisfied, vote.basically) == (900, 0)
    assert Comprehensive.objects.get(year=inputs, unit_id=c1).advanced is False
    # and the untouched rows are as they were
    other = Vote.objects.get(year=inputs, unit_id=c2, kind=VoteKind.DEMOCRATIC)
    assert (other.satisfied, other.basically, other.dissatisfied) == (900, 30, 5)


# ---------------------------------------------------------------- the scoring grid


@pytest.fixture
def scored(org, year):
    dept = org.user(Role.DEPT_ASSESSOR)
    lz = Category.objects.get(year=year, code="LZ")
    cells = [
        services.CellInput(u.pk, ind.pk, "3.00", f"{u.code} {ind.code} 台账齐全")
        for u in (org.community, org.community2)
        for ind in Indicator.objects.filter(category=lz)
    ]
    services.scores_save(year_id=year.pk, category_id=lz.pk, acting_user=dept, cells=cells)
    return year


def _grid(client, user, year, prefix="s-"):
    client.force_login(user)
    url = reverse("appraisal:scoring", args=[year.year, "LZ"])
    return url, post_data(client.get(url).content.decode(), containing=prefix)


def test_grid_saved_unchanged_changes_nothing(client, org, scored):
    url, data = _grid(client, org.user(Role.DEPT_ASSESSOR), scored)
    before = _snapshot(scored)
    assert client.post(url, data).status_code == 302
    assert _snapshot(scored) == before


@pytest.mark.parametrize("prefix", ["s-", "c-"])
def test_grid_missing_a_cell_is_400_and_changes_nothing(client, org, scored, prefix):
    url, data = _grid(client, org.user(Role.DEPT_ASSESSOR), scored)
    ind = Indicator.objects.get(year=scored, code="LZ-02")
    del data[f"{prefix}{org.community2.pk}-{ind.pk}"]
    data[f"s-{org.community.pk}-{ind.pk}"] = ["19.00"]  # a change that must not be saved
    before = _snapshot(scored)
    response = client.post(url, data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "incomplete" in body and org.community2.name in body and "LZ-02" in body
    assert _snapshot(scored) == before


def test_grid_of_the_joint_team_missing_a_cell_is_400(client, org, scored):
    office = org.user(Role.OFFICE_STAFF)
    year = services.year_advance(year_id=scored.pk, acting_user=office)  # year-end appraisal
    url, data = _grid(client, office, year, prefix="v-")
    before = _snapshot(year)
    assert client.post(url, data).status_code == 302  # unchanged: nothing
    assert _snapshot(year) == before
    ind = Indicator.objects.get(year=year, code="LZ-01")
    del data[f"v-{org.community.pk}-{ind.pk}"]
    assert client.post(url, data).status_code == 400
    assert _snapshot(year) == before


def test_grid_empty_box_clears_the_score_and_keeps_other_cells(client, org, scored):
    url, data = _grid(client, org.user(Role.DEPT_ASSESSOR), scored)
    ind = Indicator.objects.get(year=scored, code="LZ-02")
    data[f"s-{org.community.pk}-{ind.pk}"] = [""]
    assert client.post(url, data).status_code == 302
    score = Score.objects.get(unit=org.community, indicator=ind)
    assert score.department_score is None and score.comment.endswith("台账齐全")
    other = Score.objects.get(unit=org.community2, indicator=ind)
    assert other.department_score == Decimal("3.00")


# ---------------------------------------------------------------- settings and the catalogue


def test_settings_saved_unchanged_change_nothing_and_missing_is_400(client, org, planning_year):
    client.force_login(org.user(Role.OFFICE_STAFF))
    url = reverse("appraisal:year_settings", args=[planning_year.year])
    data = post_data(client.get(url).content.decode(), containing="bonus_cap")
    before = _snapshot(planning_year)
    assert client.post(url, data).status_code == 302
    assert _snapshot(planning_year) == before
    # the deadline (optional) absent from the POST is not "no deadline": refused
    for name in ("claim_declare_by", "rank_bonus_text", "vote_satisfied"):
        partial = {k: v for k, v in data.items() if k != name}
        response = client.post(url, partial)
        assert response.status_code == 400, name
        assert "incomplete" in response.content.decode()
        assert _snapshot(planning_year) == before


def test_indicator_saved_unchanged_changes_nothing_and_missing_is_400(client, org, planning_year):
    client.force_login(org.user(Role.OFFICE_STAFF))
    ind = Indicator.objects.get(year=planning_year, code="LZ-02")
    ind.description = "廉政谈话全覆盖"
    ind.save()
    url = reverse("appraisal:indicator_edit", args=[planning_year.year, ind.pk])
    data = post_data(client.get(url).content.decode(), containing="description")
    before = _snapshot(planning_year)
    assert client.post(url, data).status_code == 302
    assert _snapshot(planning_year) == before
    del data["description"]
    response = client.post(url, data)
    assert response.status_code == 400
    assert _snapshot(planning_year) == before


# ---------------------------------------------------------------- the what-if sandbox (a GET)


def test_whatif_row_missing_its_score_is_an_error_not_no_change(client, org, scored):
    # The sandbox writes nothing; a row given in part (here: no score field at all) is named as
    # an error rather than read as "no override".
    client.force_login(org.user(Role.OFFICE_STAFF))
    response = client.get(
        reverse("appraisal:results_whatif", args=[scored.year]),
        {"unit_0": org.community.code, "indicator_0": "LZ-02", "run": "1"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="whatif-errors"' in body and 'data-testid="comparison"' not in body
