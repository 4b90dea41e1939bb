"""The home page: every role's section lists its real open work (counts by kind and light, each
linking to the inbox) and links to the live pages where the work is done; it costs the same
number of queries with one item or many.

Per request: session, user, sub-district (navbar), roles, unread notifications, and the session
save in a savepoint (3): see tests/core/test_query_counts.py.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from appraisal import services as appraisal_services
from appraisal.models import AssessmentYear, Category, Report
from core import deadlines
from core.models import Role, WorkItem, WorkItemState
from tests.appraisal import conftest as appraisal_fixtures
from tests.factories import make_member
from tests.rectification.conftest import pdf
from tests.workflows.test_inbox import _decisions, _issue, _many_items, _reply_and_submit_measures

pytestmark = pytest.mark.django_db

planning_year = appraisal_fixtures.planning_year
year = appraisal_fixtures.year


@pytest.fixture(autouse=True)
def _private_storage(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"


@pytest.mark.parametrize("role", list(Role.values))
def test_each_role_sees_its_home_page_in_chinese(client, org, role):
    # given a member of the role
    user = org.user(role)
    # when they log in and open the home page
    client.force_login(user)
    response = client.get(reverse("home"))
    # then it greets them in Chinese with their role's section
    assert response.status_code == 200
    body = response.content.decode()
    assert f'data-role="{role}"' in body
    assert "退出" in body


def _home(client, user) -> str:
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response.content.decode()


def _section(body: str, role: str) -> str:
    match = re.search(rf'<section[^>]*data-role="{role}"[^>]*>(.*?)</section>', body, re.S)
    assert match is not None, role
    return match.group(1)


def _kind_rows(section: str) -> dict[str, int]:
    """{kind: total} of the section's open-work table."""
    rows = re.findall(
        r'data-kind="([^"]+)">.*?data-count="total">(\d+)</span>', section, flags=re.S
    )
    return {kind: int(n) for kind, n in rows}


def _links(html: str) -> set[str]:
    return set(re.findall(r'href="([^"]+)"', html))


def test_the_leaders_home_lists_the_decisions_waiting_with_links(client, org, year):
    # given a claim, a fraud finding and a correction waiting on the Leading Group
    _decisions(org, year)
    # when a leader opens the home page
    section = _section(_home(client, org.user(Role.LEADER)), Role.LEADER)
    # then each decision kind is counted, labelled as registered, and linked to the inbox
    assert _kind_rows(section) == {"claim.decide": 1, "fraud.decide": 1, "correction.approve": 1}
    inbox = reverse("inbox")
    for kind in ("claim.decide", "fraud.decide", "correction.approve"):
        assert deadlines.label(kind) in section
        assert f"{inbox}?kind={kind}" in _links(section)
    # undated decisions carry the "no deadline" light
    assert 'data-light="none"' in section
    # the decisions themselves are listed, each linked to its page (the claim, the finding …)
    waiting = WorkItem.objects.filter(owner_unit=org.leading_group, state=WorkItemState.OPEN)
    assert {item.url for item in waiting} <= _links(section)
    assert section.count('data-testid="next-item"') == 3
    # and the live pages of the year are linked
    for name in ("appraisal:claims", "appraisal:fraud_list", "appraisal:results"):
        assert reverse(name, args=[year.year]) in _links(section)


def test_the_offices_home_lists_its_work_by_kind_with_lights(client, org, year):
    # given a claim declared (the Office reviews it) and a notice whose measures wait for the
    # Office's verification
    office, staff = org.user(Role.OFFICE_STAFF), org.user(Role.COMMUNITY_STAFF)
    AssessmentYear.objects.filter(pk=year.pk).update(
        claim_declare_by=timezone.now() + dt.timedelta(days=3)
    )
    appraisal_services.claim_declare(
        year_id=year.pk,
        acting_user=staff,
        unit_id=org.community.pk,
        level="city",
        title="市级先进基层党组织",
        description="",
        files=[pdf("表彰.pdf")],
    )
    _reply_and_submit_measures(org, _issue(org))
    # when the Office opens its home page
    section = _section(_home(client, office), Role.OFFICE_STAFF)
    # then both kinds are counted, and the inbox, ledger, year and results pages are linked
    assert _kind_rows(section) == {"claim.review": 1, "notice.verify": 1}
    links = _links(section)
    for url in (
        reverse("inbox"),
        reverse("ledger"),
        reverse("appraisal:years"),
        reverse("appraisal:year", args=[year.year]),
        reverse("appraisal:results", args=[year.year]),
        reverse("appraisal:claims", args=[year.year]),
    ):
        assert url in links


def test_the_departments_home_lists_reports_waiting_for_scoring(client, org, year):
    # given c01 filed a report of the LZ category (led by 纪检监察室) on time
    dept, staff = org.user(Role.DEPT_ASSESSOR), org.user(Role.COMMUNITY_STAFF)
    report = Report.objects.filter(year=year, unit=org.community, indicator__code="LZ-01").first()
    Report.objects.filter(pk=report.pk).update(due_at=timezone.now() + dt.timedelta(days=10))
    appraisal_services.report_submit(report_id=report.pk, acting_user=staff, text="季度报告")
    # and a late one that waits for nobody (Art. 12: not a basis for scoring)
    late = Report.objects.filter(year=year, unit=org.community2, indicator__code="LZ-01").first()
    Report.objects.filter(pk=late.pk).update(due_at=timezone.now() - dt.timedelta(days=1))
    c02 = make_member(org.community2, Role.COMMUNITY_STAFF)
    appraisal_services.report_submit(report_id=late.pk, acting_user=c02, text="迟报")
    # when the department opens its home page
    section = _section(_home(client, dept), Role.DEPT_ASSESSOR)
    # then its category shows one report waiting, linked to its scoring page
    scoring = reverse("appraisal:scoring", args=[year.year, "LZ"])
    assert scoring in _links(section)
    assert re.search(r'data-code="LZ".*?— 1 ', section, re.S)
    assert 'data-code="ZZ"' not in section  # another department's category
    # when the department scores the indicator, nothing waits any more
    lz = Category.objects.get(year=year, code="LZ")
    appraisal_services.scores_save(
        year_id=year.pk,
        category_id=lz.pk,
        acting_user=dept,
        cells=[
            appraisal_services.CellInput(
                unit_id=org.community.pk, indicator_id=report.indicator_id, score="4"
            )
        ],
    )
    section = _section(_home(client, dept), Role.DEPT_ASSESSOR)
    assert re.search(r'data-code="LZ".*?— 0 ', section, re.S)


def test_the_communitys_home_lists_its_notices_and_reports_due(client, org, year):
    # given a notice to answer and the periodic reports of the year
    _issue(org)
    open_reports = Report.objects.filter(year=year, unit=org.community, task_opened=True).count()
    # when c01's staff opens the home page
    section = _section(_home(client, org.user(Role.COMMUNITY_STAFF)), Role.COMMUNITY_STAFF)
    # then both are counted with their lights, and the reports page is linked
    assert _kind_rows(section) == {"notice.reply": 1, "report.submit": open_reports}
    assert 'data-light="green"' in section
    assert reverse("appraisal:reports", args=[year.year]) in _links(section)


def test_someone_with_two_roles_sees_each_roles_work_in_its_own_section(client, org, year):
    # given an Office member who also sits in the Leading Group, with work waiting on both
    from core.models import RoleAssignment

    office = org.user(Role.OFFICE_STAFF)
    RoleAssignment.objects.create(user=office, unit=org.leading_group, role=Role.LEADER)
    _decisions(org, year)
    _reply_and_submit_measures(org, _issue(org))
    # when they open the home page
    body = _home(client, office)
    # then the Office's section has the Office's work and the Leading Group's its decisions
    assert _kind_rows(_section(body, Role.OFFICE_STAFF)) == {"notice.verify": 1}
    assert set(_kind_rows(_section(body, Role.LEADER))) == {
        "claim.decide",
        "fraud.decide",
        "correction.approve",
    }
    # and the inbox has both
    client.force_login(office)
    kinds = {i["kind"] for i in client.get(reverse("inbox")).context["page_obj"]}
    assert kinds == {"notice.verify", "claim.decide", "fraud.decide", "correction.approve"}


def test_the_auditors_home_has_no_work_and_no_inbox(client, org, year):
    _decisions(org, year)
    body = _home(client, org.user(Role.AUDITOR))
    section = _section(body, Role.AUDITOR)
    assert 'data-testid="open-work"' not in section
    assert reverse("inbox") not in _links(body)
    assert reverse("audit_list") in _links(section)


# --- cost --------------------------------------------------------------------------------------

# The page's own queries: the user's units, the latest year; for those who receive work the
# grouped open-work counts and the next items; for scorers the categories to score; for the
# Office the calendar's coverage (2).
HOME_QUERIES = {
    Role.OFFICE_STAFF: 8 + 4 + 1 + 2,
    Role.DEPT_ASSESSOR: 8 + 4 + 1,
    Role.LEADER: 8 + 4,
    Role.COMMUNITY_SECRETARY: 8 + 4,
    Role.AUDITOR: 8 + 2,
}


@pytest.mark.parametrize("rows", [1, 40])
@pytest.mark.parametrize("role", list(HOME_QUERIES))
def test_home_queries(client, org, year, role, rows, django_assert_num_queries):
    # given open work of every kind on every role's unit
    _many_items(org, rows)
    client.force_login(org.user(role))
    client.get(reverse("home"))
    with django_assert_num_queries(HOME_QUERIES[role]):
        response = client.get(reverse("home"))
    assert response.status_code == 200
    # and each section that receives work lists its next items, at most five
    for section in response.context["sections"]:
        if "next" in section:
            assert section["total"] >= rows
            assert len(section["next"]) == min(section["total"], 5), section["role"]
