"""Notice pages run a fixed number of queries whatever the number of rows (1 and many).

Every request starts with session, user, sub-district (navbar) and roles, and ends with the
session save in a savepoint (idle expiry renews the session on every request): see
tests/core/test_query_counts.py. The numbers below are the page's total.
"""

import datetime as dt
from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from core.models import Role
from rectification import services
from rectification.models import Notice
from tests.rectification.conftest import notice_input, pdf

pytestmark = pytest.mark.django_db


def _issue_many(org, n: int) -> list[Notice]:
    """n notices issued by the Office to c01 through the services (so their work items exist)."""
    office = org.user(Role.OFFICE_STAFF)
    return [
        services.notice_issue(
            notice_id=services.notice_create(
                acting_user=office,
                data=notice_input(org, subject=f"问题{i}"),
                target_id=org.community.pk,
            ).pk,
            acting_user=office,
        )
        for i in range(n)
    ]


def _warm(client, user, url: str) -> None:
    """Log in and load the page once (content types and the lights' "due soon" limit are cached
    per process)."""
    client.force_login(user)
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("rows", [1, 50])
def test_ledger_queries(client, org, rows, django_assert_num_queries):
    _issue_many(org, rows)
    _warm(client, org.user(Role.OFFICE_STAFF), reverse("ledger"))
    # count, page with target and issuer, unread notifications (units and lights cached)
    with django_assert_num_queries(10):
        response = client.get(reverse("ledger"))
    assert response.status_code == 200
    assert len(response.context["page_obj"]) == rows


@pytest.mark.parametrize("rows", [1, 50])
def test_ledger_export_queries(client, org, rows, django_assert_num_queries):
    _issue_many(org, rows)
    _warm(client, org.user(Role.OFFICE_STAFF), reverse("ledger_export"))
    # all rows with target and issuer in one query (units and lights cached)
    with django_assert_num_queries(7):
        response = client.get(reverse("ledger_export"))
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(response.content), read_only=True).active
    assert len(list(sheet.values)) == rows + 1  # the header and one line per notice


def _busy_case(org, versions: int, measures: int, files: int) -> Notice:
    """A notice with `versions` replies and measure sets (all but the last returned), each
    measure set with `measures` measures, each reply and measure with `files` attachments."""
    office, staff = org.user(Role.OFFICE_STAFF), org.user(Role.COMMUNITY_STAFF)
    notice = _issue_many(org, 1)[0]
    for v in range(versions):
        services.notice_reply(
            notice_id=notice.pk,
            acting_user=staff,
            text=f"答复{v}",
            files=[pdf(f"r{v}-{f}.pdf") for f in range(files)],
        )
        if v < versions - 1:
            services.notice_return(notice_id=notice.pk, acting_user=office, reason="补充")
    for v in range(versions):
        services.notice_submit_measures(
            notice_id=notice.pk,
            acting_user=staff,
            measures=[
                services.MeasureInput(
                    f"措施{v}-{m}",
                    "张三",
                    dt.date(2026, 12, 31),
                    [pdf(f"m{v}-{m}-{f}.pdf") for f in range(files)],
                )
                for m in range(measures)
            ],
        )
        if v < versions - 1:
            services.notice_return(notice_id=notice.pk, acting_user=office, reason="不具体")
    return notice


@pytest.mark.parametrize(
    ("versions", "measures", "files"),
    [
        pytest.param(1, 1, 0, id="1-reply-1-measure"),
        pytest.param(4, 6, 0, id="4-replies-4x6-measures"),
        pytest.param(1, 1, 1, id="1-file-each"),
        pytest.param(4, 6, 3, id="3-files-each"),
    ],
)
@pytest.mark.parametrize("role", [Role.OFFICE_STAFF, Role.COMMUNITY_STAFF])
def test_case_page_queries(client, org, role, versions, measures, files, django_assert_num_queries):
    notice = _busy_case(org, versions, measures, files)
    url = reverse("notice_detail", args=[notice.pk])
    _warm(client, org.user(role), url)
    # notice, replies, measure sets, measures, evidence, timeline, escalated_to, extensions,
    # unread notifications, and for the issuer the open escalation proposal
    with django_assert_num_queries(17 if role == Role.OFFICE_STAFF else 16):
        response = client.get(url)
    assert response.status_code == 200
    assert len(response.context["replies"]) == versions
    assert len(response.context["measure_sets"]) == versions
    assert sum(len(s.measures.all()) for s in response.context["measure_sets"]) == (
        versions * measures
    )
    shown = response.content.decode().count('data-testid="evidence"')
    assert shown >= versions * files * (1 + measures)


def _steps_by_many_people(org, notice: Notice, rows: int) -> None:
    """`rows` further timeline steps on the notice, each by another person of another unit (each
    step names its actor and their unit: still one query for the whole timeline)."""
    from django.db import transaction

    from core.audit import audit_record
    from tests.factories import UnitFactory, make_member

    units = [org.office, org.community] + [
        UnitFactory(sub_district=org.sd, kind="community", code=f"A-x{i}", name=f"A-x{i}")
        for i in range(min(rows, 10))
    ]
    with transaction.atomic():
        for i in range(rows):
            person = make_member(units[i % len(units)], Role.OFFICE_STAFF)
            audit_record(event_type="notice.interview", actor=person, subject=notice)


@pytest.mark.parametrize("rows", [1, 40])
@pytest.mark.parametrize("role", [Role.COMMUNITY_STAFF, Role.AUDITOR])
def test_case_page_queries_at_many_timeline_steps(
    client, org, role, rows, django_assert_num_queries
):
    notice = _issue_many(org, 1)[0]
    _steps_by_many_people(org, notice, rows)
    url = reverse("notice_detail", args=[notice.pk])
    _warm(client, org.user(role), url)
    # the timeline with every actor's unit is one query, whatever the number of steps
    with django_assert_num_queries(14):
        response = client.get(url)
    # issued and the steps; the auditor also reads the draft's creation
    assert len(response.context["timeline"]) == rows + (1 if role == Role.COMMUNITY_STAFF else 2)
