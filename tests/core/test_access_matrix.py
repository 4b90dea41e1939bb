"""Every view × every role: allowed, 403 or 404 as designed (issue 2, acceptance).

A user of sub-district A must never see anything of sub-district B.
"""

import datetime as dt
from io import BytesIO

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from openpyxl import Workbook

from core.audit import audit_record
from core.models import CalendarDay, DayKind, Role

pytestmark = pytest.mark.django_db

ALL = set(Role.values)
# The calendar is national: no role of a sub-district changes it, only installation
# administrators (superusers; test_calendar_national.py).
CALENDAR_EDITORS: set[str] = set()
AUDIT_READERS = {Role.OFFICE_STAFF, Role.AUDITOR, Role.ADMIN}
# The roles that receive work (workflows.selectors.WORK_ROLES): auditors and administrators
# receive none, and are told so (tests/workflows/test_inbox.py).
WORK_RECEIVERS = ALL - {Role.AUDITOR, Role.ADMIN}


def _xlsx() -> BytesIO:
    book = Workbook()
    book.active.append(["日期", "类型", "名称", "备注"])
    book.active.append([dt.date(2027, 10, 1), "放假", "国庆节", ""])
    buffer = BytesIO()
    book.save(buffer)
    buffer.seek(0)
    buffer.name = "calendar.xlsx"
    return buffer


def _event(org):
    with transaction.atomic():
        return audit_record(
            event_type="test.event", actor=org.user(Role.OFFICE_STAFF), subject=org.community
        )


def _day():
    return CalendarDay.objects.create(date=dt.date(2027, 5, 3), kind=DayKind.HOLIDAY)


# (url name, how to build args from (org, fixtures), method, POST data, roles allowed, ok status)
# Roles not allowed get 403; objects of the other sub-district give 404.
VIEWS = [
    ("home", None, "get", None, ALL, 200),
    ("inbox", None, "get", None, WORK_RECEIVERS, 200),
    ("account", None, "get", None, ALL, 200),
    ("password_change", None, "get", None, ALL, 200),
    ("password_change_done", None, "get", None, ALL, 200),
    ("org_units", None, "get", None, ALL, 200),
    ("unit_detail", lambda o: [o.community.pk], "get", None, ALL, 200),
    ("audit_list", None, "get", None, AUDIT_READERS, 200),
    ("audit_detail", lambda o: [_event(o).pk], "get", None, AUDIT_READERS, 200),
    ("calendar", None, "get", None, ALL, 200),
    ("calendar_template", None, "get", None, ALL, 200),
    (
        "calendar_day_save",
        None,
        "post",
        {"date": "2027-01-01", "kind": "holiday", "name": "元旦", "note": ""},
        CALENDAR_EDITORS,
        302,
    ),
    (
        "calendar_year_save",
        None,
        "post",
        {"year": "2027", "complete": "on", "source": "国办发明电"},
        CALENDAR_EDITORS,
        302,
    ),
    ("calendar_import", None, "post", "xlsx", CALENDAR_EDITORS, 302),
    ("calendar_day_delete", lambda o: [_day().pk], "post", {}, CALENDAR_EDITORS, 302),
    ("notifications", None, "get", None, ALL, 200),
    ("notifications_read_all", None, "post", {}, ALL, 302),
    ("deadline_health", None, "get", None, {Role.OFFICE_STAFF, Role.ADMIN, Role.AUDITOR}, 200),
]

# Views outside the matrix, with the reason.
NOT_IN_MATRIX = {
    "login": "public: the log-in page",
    "logout": "POST by any logged-in user; tested in test_audit (auth.logout)",
    "set_language": "Django's language switch, public",
    **dict.fromkeys(
        (
            "ledger",
            "ledger_export",
            "notice_new",
            "notice_detail",
            "notice_edit",
            "notice_issue",
            "notice_reply",
            "notice_measures",
            "notice_return",
            "notice_verify",
            "notice_withdraw",
            "notice_escalate",
            "notice_interview",
            "evidence_download",
        ),
        "role × view matrix of notices in tests/rectification/test_access.py",
    ),
    **dict.fromkeys(
        ("plan_ledger", "plan_ledger_export", "plan_reconciliation"),
        "every role, scoped per item: tests/rectification/plans/test_ledger.py and "
        "test_reconciliation.py",
    ),
    "notification_open": "each person opens only their own: tests/core/test_notification_centre.py",
    "notice_dismiss_proposal": "issuer only, by role: tests/rectification/test_proposals.py",
    "claim_publicity": "every role of the sub-district, none of another: "
    "tests/appraisal/test_claim_publicity.py",
    **dict.fromkeys(
        (
            "years",
            "year",
            "year_advance",
            "year_settings",
            "catalogue_export",
            "reports",
            "report",
            "scoring",
            "adjustments",
            "fraud_list",
            "fraud",
            "claims",
            "claim",
            "inputs",
            "comprehensive_export",
            "correction",
            "republication",
            "indicator_new",
            "indicator_edit",
            "category_export",
            "category_import",
            "catalogue_approve",
        ),
        "role × view matrix of the assessment year in tests/appraisal/test_access.py",
    ),
    **dict.fromkeys(
        (
            "results",
            "results_unit",
            "results_export",
            "results_whatif",
            "results_exception",
        ),
        "role × view matrix of the results in tests/appraisal/test_results_views.py",
    ),
    "catalogue_import": "office only, planning year: tests/appraisal/test_xlsx.py",
    "comprehensive_import": "office only: tests/appraisal/test_xlsx.py",
    "votes_export": "every role that sees all inputs: tests/appraisal/test_votes_import.py",
    "votes_import": "office only: tests/appraisal/test_votes_import.py",
    "adjustment_withdraw": "who may record the adjustment, by role and department: "
    "tests/appraisal/test_adjustment_withdrawal.py",
    "spot_check_notice": "issuers who see the check's category, by role: "
    "tests/appraisal/test_spot_check_notice.py",
    **dict.fromkeys(
        (
            "yearend_process",
            "yearend_start",
            "yearend_results",
            "yearend_publish",
            "yearend_progress",
            "yearend_document",
            "yearend_task_hold",
        ),
        "role × view matrix of the year-end process in tests/workflows/test_yearend_access.py",
    ),
    **dict.fromkeys(
        (
            "vote_stage",
            "vote_round",
            "ballot_meeting_new",
            "ballot_meeting",
            "ballot_meeting_tally",
            "ballot_meeting_close",
            "ballot_meeting_regenerate",
        ),
        "role × view of the satisfaction stage in tests/appraisal/test_ballots.py",
    ),
    **dict.fromkeys(
        ("decision", "interviews", "interview", "team", "verification"),
        "role × view of the decision, the interviews (tests/appraisal/test_yearend.py) and "
        "the verification (tests/appraisal/test_verification.py)",
    ),
    **dict.fromkeys(
        ("selfeval_overview", "selfeval"),
        "role × view of the self-evaluation (own community, read-only readers, others 404): "
        "tests/appraisal/test_selfeval.py",
    ),
    "ballot": "public, no log-in (a one-time ballot code): tests/appraisal/test_ballots.py",
    **dict.fromkeys(
        (
            "plan_item",
            "plan_item_progress",
            "plan_item_close_request",
            "plan_item_verify",
            "plan_item_return",
            "plan_item_link",
            "plan_milestone_extension",
            "plan_extension_decide",
            "plan_milestone_escalate",
        ),
        "role × view of the plan item page: tests/rectification/plans/test_item_page.py",
    ),
    **dict.fromkeys(
        (
            "plan_detail",
            "plan_item_edit",
            "plan_item_add",
            "plan_item_remove",
            "plan_submit",
            "plan_review",
            "plan_accept",
        ),
        "role × view of the plan page: tests/rectification/plans/test_plan_page.py",
    ),
    "notice_extension_request": "by role: tests/rectification/test_extensions.py",
    "notice_extension_decide": "by role: tests/rectification/test_extensions.py",
}


def _request(client, name, args, method, data):
    url = reverse(name, args=args or [])
    if method == "get":
        return client.get(url)
    if data == "xlsx":
        return client.post(url, {"file": _xlsx()})
    return client.post(url, data)


@pytest.mark.parametrize("role", sorted(ALL))
@pytest.mark.parametrize(
    ("name", "args", "method", "data", "allowed", "ok"), VIEWS, ids=[v[0] for v in VIEWS]
)
def test_role_against_view(client, org, role, name, args, method, data, allowed, ok):
    # given a member of sub-district A holding the role
    client.force_login(org.user(role))
    # when they open the view
    response = _request(client, name, args(org) if args else None, method, data)
    # then it is allowed or forbidden as designed
    expected = ok if role in allowed else 403
    assert response.status_code == expected, response.content[:300]


@pytest.mark.parametrize(
    ("name", "args", "method", "data", "allowed", "ok"), VIEWS, ids=[v[0] for v in VIEWS]
)
def test_anonymous_is_sent_to_login(client, org, name, args, method, data, allowed, ok):
    response = _request(client, name, args(org) if args else None, method, data)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("role", sorted(AUDIT_READERS))
def test_audit_event_of_other_sub_district_is_404(client, org, other_org, role):
    # given an audit event of sub-district B
    event = _event(other_org)
    # when A's reader opens it
    client.force_login(org.user(role))
    response = client.get(reverse("audit_detail", args=[event.pk]))
    # then it does not exist for them
    assert response.status_code == 404


@pytest.mark.parametrize("role", sorted(ALL))
def test_unit_of_other_sub_district_is_404(client, org, other_org, role):
    client.force_login(org.user(role))
    response = client.get(reverse("unit_detail", args=[other_org.community.pk]))
    assert response.status_code == 404


@pytest.mark.parametrize("role", sorted(ALL))
def test_lists_show_nothing_of_other_sub_district(client, org, other_org, role):
    # given both sub-districts have audit events and units
    _event(org)
    _event(other_org)
    client.force_login(org.user(role))
    # when A's user reads the organisation and (if allowed) the audit trail
    pages = [reverse("org_units"), reverse("home")]
    if role in AUDIT_READERS:
        pages.append(reverse("audit_list"))
    for url in pages:
        body = client.get(url).content.decode()
        # then B's names never appear
        assert "B-c01" not in body, url
        assert "B街道" not in body, url
    if role in AUDIT_READERS:
        assert "A-c01" in client.get(reverse("audit_list")).content.decode()


def test_user_without_role_sees_only_an_explanation(client, org):
    # given an account in A with no role
    from tests.factories import UserFactory

    user = UserFactory(sub_district=org.sd)
    client.force_login(user)
    # then the home page explains, and every sub-district page is refused
    assert "尚未分配角色" in client.get(reverse("home")).content.decode()
    for name in ("org_units", "calendar", "audit_list"):
        assert client.get(reverse(name)).status_code == 403, name
    assert client.get(reverse("unit_detail", args=[org.community.pk])).status_code == 404


def _named_urls(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.app_name == "admin":
                continue
            yield from _named_urls(entry)
        elif isinstance(entry, URLPattern) and entry.name:
            yield entry.name


def test_every_view_is_in_the_matrix():
    # A new view must be added to VIEWS (or NOT_IN_MATRIX with a reason) to be tested by role.
    covered = {v[0] for v in VIEWS} | set(NOT_IN_MATRIX)
    missing = sorted(set(_named_urls()) - covered)
    assert missing == []
