"""Every page of the assessment year × every role (issue 5: a department cannot see or score
another department's category; a community sees only its own; auditors change nothing)."""

import pytest
from django.urls import reverse

from appraisal.models import BonusClaim, Category, FraudFinding, Report
from core.models import Role

pytestmark = pytest.mark.django_db

ALL = set(Role.values)
SEE_ALL = {Role.OFFICE_STAFF, Role.AUDITOR, Role.LEADER, Role.ADMIN}
COMMUNITY = {Role.COMMUNITY_STAFF, Role.COMMUNITY_SECRETARY}
OFFICE = {Role.OFFICE_STAFF}


def _report(org, year):
    return Report.objects.get(year=year, unit=org.community, indicator__code="LZ-01", period=4)


def _claim(org, year):
    return BonusClaim.objects.create(
        year=year,
        unit=org.community,
        level="city",
        title="市级表彰",
        declared_at=year.created_at,
        declare_by=year.created_at,
    )


def _fraud(org, year):
    return FraudFinding.objects.create(
        year=year,
        unit=org.community,
        category=Category.objects.get(year=year, code="LZ"),
        reason="伪造",
    )


# (url name, args from (org, year), method, data, roles allowed, ok status, status for others)
VIEWS = [
    ("appraisal:years", lambda o, y: [], "get", None, ALL, 200, 403),
    ("appraisal:year", lambda o, y: [y.year], "get", None, ALL, 200, 403),
    ("appraisal:year_settings", lambda o, y: [y.year], "get", None, OFFICE, 200, 403),
    (
        "appraisal:year_advance",
        lambda o, y: [y.year],
        "post",
        {"expected_status": "in_progress"},
        OFFICE,
        409,  # Art. 14: the year-end appraisal starts through its process, not this button
        403,
    ),
    ("appraisal:indicator_new", lambda o, y: [y.year], "get", None, OFFICE, 200, 403),
    (
        "appraisal:indicator_edit",
        lambda o, y: [y.year, y.indicators.first().pk],
        "get",
        None,
        OFFICE,
        200,
        403,
    ),
    ("appraisal:catalogue_export", lambda o, y: [y.year], "get", None, ALL, 200, 403),
    # A started year: a department's drafting right has ended (Art. 5), the Office's is refused
    # by the year's state (409) where it writes; planning: tests/appraisal/test_catalogue_drafting.
    ("appraisal:category_export", lambda o, y: [y.year], "get", None, OFFICE, 200, 403),
    ("appraisal:category_import", lambda o, y: [y.year], "post", {}, OFFICE, 303, 403),
    (
        "appraisal:catalogue_approve",
        lambda o, y: [y.year],
        "post",
        {"digest": "x"},
        OFFICE,
        409,
        403,
    ),
    ("appraisal:reports", lambda o, y: [y.year], "get", None, ALL, 200, 403),
    (
        "appraisal:report",
        lambda o, y: [_report(o, y).pk],
        "get",
        None,
        SEE_ALL | COMMUNITY | {Role.DEPT_ASSESSOR},
        200,
        404,
    ),
    (
        "appraisal:scoring",
        lambda o, y: [y.year, "LZ"],
        "get",
        None,
        SEE_ALL | {Role.DEPT_ASSESSOR},
        200,
        404,
    ),
    (
        "appraisal:scoring",
        lambda o, y: [y.year, "ZZ"],
        "get",
        None,
        SEE_ALL,
        200,
        404,
    ),
    (
        "appraisal:adjustments",
        lambda o, y: [y.year],
        "get",
        None,
        SEE_ALL | {Role.DEPT_ASSESSOR},
        200,
        403,
    ),
    ("appraisal:fraud_list", lambda o, y: [y.year], "get", None, SEE_ALL, 200, 403),
    ("appraisal:fraud", lambda o, y: [y.year, _fraud(o, y).pk], "get", None, SEE_ALL, 200, 404),
    ("appraisal:claims", lambda o, y: [y.year], "get", None, SEE_ALL | COMMUNITY, 200, 403),
    ("appraisal:claim", lambda o, y: [_claim(o, y).pk], "get", None, SEE_ALL | COMMUNITY, 200, 404),
    ("appraisal:inputs", lambda o, y: [y.year], "get", None, SEE_ALL, 200, 403),
    # an empty POST lacks every field of the form: refused (400) for those allowed to post
    ("appraisal:inputs", lambda o, y: [y.year], "post", {}, OFFICE, 400, 403),
    ("appraisal:comprehensive_export", lambda o, y: [y.year], "get", None, SEE_ALL, 200, 403),
    (
        "appraisal:correction",
        lambda o, y: [y.year],
        "post",
        {"action": "request", "reason": "x"},
        OFFICE,
        409,  # the year is not published: nothing to correct
        403,
    ),
    (
        "appraisal:republication",
        lambda o, y: [y.year],
        "post",
        {"action": "request"},
        OFFICE,
        409,  # no approved correction to close for republication
        403,
    ),
    (
        "appraisal:republication",
        lambda o, y: [y.year],
        "post",
        {"action": "approve"},
        {Role.LEADER},
        409,  # no republication awaiting the Leading Group
        403,
    ),
]
IDS = [f"{v[0]}-{v[2]}-{i}" for i, v in enumerate(VIEWS)]


@pytest.mark.parametrize("role", sorted(ALL))
@pytest.mark.parametrize(
    ("name", "args", "method", "data", "allowed", "ok", "other"), VIEWS, ids=IDS
)
def test_role_against_view(client, org, year, role, name, args, method, data, allowed, ok, other):
    client.force_login(org.user(role))
    url = reverse(name, args=args(org, year))
    response = client.get(url) if method == "get" else client.post(url, data)
    expected = ok if role in allowed else other
    assert response.status_code == expected, response.content[:300]


@pytest.mark.parametrize(
    ("name", "args", "method", "data", "allowed", "ok", "other"), VIEWS, ids=IDS
)
def test_other_sub_district_sees_nothing(
    client, org, other_org, year, name, args, method, data, allowed, ok, other
):
    client.force_login(other_org.user(Role.OFFICE_STAFF))
    url = reverse(name, args=args(org, year))
    response = client.get(url) if method == "get" else client.post(url, data)
    # B has no such year, report, claim or finding: the lists of its own are empty or absent
    assert response.status_code in (200, 404), response.status_code
    if response.status_code == 200:
        assert "A-c01" not in response.content.decode()


def test_community_sees_only_its_own_reports(client, org, year):
    import re

    client.force_login(org.user(Role.COMMUNITY_STAFF))
    body = client.get(reverse("appraisal:reports", args=[year.year])).content.decode()
    listed = {int(pk) for pk in re.findall(r"/appraisal/reports/(\d+)/", body)}
    own = set(Report.objects.filter(year=year, unit=org.community).values_list("pk", flat=True))
    assert listed and listed == own
    assert "A-c02" not in body


def test_department_lists_only_its_categorys_reports(client, org, year):
    client.force_login(org.user(Role.DEPT_ASSESSOR))
    body = client.get(reverse("appraisal:reports", args=[year.year])).content.decode()
    assert "LZ-01" in body and "ZZ-01" not in body
