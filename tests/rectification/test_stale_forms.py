"""Every form of the case page carries what it acts on (Art. 11): the notice's state, the version of
the reply or measures, the extension request, the escalation proposal, the interview record. A
second submit of the same form (a double click, a page sent again, a page left open while someone
else acted) is a 409 that changes nothing and writes no audit row; a form without those hidden
fields is a 400, never read as blank.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse

from core.errors import Conflict
from core.models import AuditEvent, Role
from rectification import services
from rectification.forms import EXPECTED_LABELS
from rectification.models import DeadlineExtension, EscalationProposal, Notice, NoticeState
from tests.factories import make_member
from tests.rectification.conftest import CONFIRMED_ACTS
from tests.rectification.test_access import INTERVIEW, MEASURES
from tests.rectification.test_access import make_notice as _make_notice
from tests.rectification.test_bad_input import saved_state

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fixed_today")]

OFFICE, STAFF = Role.OFFICE_STAFF, Role.COMMUNITY_STAFF
S = NoticeState


def make_notice(org, state: str) -> Notice:
    return _make_notice(org, "office", state, with_file=False)


def login(org, role) -> Client:
    client = Client()
    client.force_login(org.user(role))
    return client


class _Forms(HTMLParser):
    """The POST forms of a page: action → {name: value} of their hidden inputs."""

    def __init__(self):
        super().__init__()
        self.forms: dict[str, dict[str, str]] = {}
        self._current: dict[str, str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("method") == "post":
            self._current = self.forms.setdefault(attrs["action"], {})
        elif (
            tag == "input"
            and self._current is not None
            and attrs.get("type") == "hidden"
            and attrs.get("name") != "csrfmiddlewaretoken"
        ):
            self._current[attrs["name"]] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


def page_forms(client, notice) -> dict[str, dict[str, str]]:
    response = client.get(reverse("notice_detail", args=[notice.pk]))
    assert response.status_code == 200
    parser = _Forms()
    parser.feed(response.content.decode())
    return parser.forms


def hidden(client, notice, url_name) -> dict[str, str]:
    """The hidden fields of one form of the case page, as a user's browser would send them
    (an official act from its confirmation page, which adds confirmed=1)."""
    fields = page_forms(client, notice)[reverse(url_name, args=[notice.pk])]
    return {**fields, "confirmed": "1"} if url_name in CONFIRMED_ACTS else fields


def audit_rows(notice, event_type=None) -> int:
    rows = AuditEvent.objects.filter(subject_id=str(notice.pk), event_type__startswith="notice.")
    if event_type:
        rows = rows.filter(event_type=event_type)
    return rows.count()


def alert(response) -> str:
    """The text of the page's last alert (messages of earlier requests come first)."""
    text = re.findall(r'role="alert">(.*?)</div>', response.content.decode(), re.S)[-1]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text)).strip()


# --- the double 退回 ----------------------------------------------------------------------------


def test_second_post_of_the_same_return_form_is_409_and_keeps_the_reply(org):
    # given measures submitted on a replied notice, and the Office's case page
    notice = make_notice(org, S.MEASURES_SUBMITTED)
    client = login(org, OFFICE)
    data = {**hidden(client, notice, "notice_return"), "reason": "措施不具体"}
    assert data["expected_state"] == S.MEASURES_SUBMITTED and data["expected_version"] == "1"
    url = reverse("notice_return", args=[notice.pk])
    # when the return form is posted, then posted again (a double click)
    first = client.post(url, data)
    after_first = saved_state()
    second = client.post(url, data)
    # then the measures were returned once, and the second post is a conflict that changed nothing
    assert first.status_code == 302
    assert second.status_code == 409
    assert saved_state() == after_first
    notice.refresh_from_db()
    assert notice.state == S.REPLIED
    assert notice.replies.get().returned_at is None
    assert audit_rows(notice, "notice.return_measures") == 1
    assert audit_rows(notice, "notice.return_reply") == 0
    # and the 409 page says what the notice is now, in the user's language only, with a link to
    # the case
    body = second.content.decode()
    assert str(S.REPLIED.label) in alert(second)
    assert "now “Replied”" not in body
    assert f'href="{reverse("notice_detail", args=[notice.pk])}"' in body


def test_second_post_of_a_reply_return_is_409_and_the_notice_stays_issued(org):
    notice = make_notice(org, S.REPLIED)
    client = login(org, OFFICE)
    data = {**hidden(client, notice, "notice_return"), "reason": "过于简单"}
    url = reverse("notice_return", args=[notice.pk])
    assert client.post(url, data).status_code == 302
    before = saved_state()
    assert client.post(url, data).status_code == 409
    assert saved_state() == before
    assert Notice.objects.get(pk=notice.pk).state == S.ISSUED


def test_service_refuses_a_stale_return_without_an_audit_row(org):
    # given a notice whose measures were already returned
    notice = make_notice(org, S.MEASURES_SUBMITTED)
    office = org.user(OFFICE)
    services.notice_return(
        notice_id=notice.pk,
        acting_user=office,
        reason="措施不具体",
        expected_state=S.MEASURES_SUBMITTED,
        expected_version=1,
    )
    before = saved_state()
    # when the same return reaches the service again
    with pytest.raises(Conflict) as caught:
        services.notice_return(
            notice_id=notice.pk,
            acting_user=office,
            reason="措施不具体",
            expected_state=S.MEASURES_SUBMITTED,
            expected_version=1,
        )
    # then nothing changed, and the conflict links back to the case
    assert saved_state() == before
    assert caught.value.url == reverse("notice_detail", args=[notice.pk])


# --- a page left open while someone else acted --------------------------------------------------


def _second_office(org):
    client = Client()
    client.force_login(make_member(org.office, OFFICE, "A-office-2"))
    return client


def test_verify_from_a_page_showing_returned_measures_is_409(org):
    # given the Office's page shows measures v1, then a colleague returns them and the community
    # submits v2
    notice = make_notice(org, S.MEASURES_SUBMITTED)
    client = login(org, OFFICE)
    stale = {**hidden(client, notice, "notice_verify"), "comment": "同意"}
    services.notice_return(notice_id=notice.pk, acting_user=org.user(OFFICE), reason="不具体")
    services.notice_submit_measures(
        notice_id=notice.pk,
        acting_user=org.user(STAFF),
        measures=[services.MeasureInput("新措施", "李四", dt.date(2026, 6, 30))],
    )
    before = saved_state()
    # when the Office verifies from the page it left open
    response = client.post(reverse("notice_verify", args=[notice.pk]), stale)
    # then v2, which it has not seen, is not verified
    assert response.status_code == 409
    assert saved_state() == before
    assert 'data-testid="back-to-case"' in response.content.decode()
    # while the page as it is now verifies v2
    current = {**hidden(client, notice, "notice_verify"), "comment": "同意"}
    assert current["expected_version"] == "2"
    assert client.post(reverse("notice_verify", args=[notice.pk]), current).status_code == 302
    assert Notice.objects.get(pk=notice.pk).state == S.VERIFIED


def test_reply_from_a_page_opened_before_a_return_is_409(org):
    # given the community's page is open on an issued notice; meanwhile a colleague replies, the
    # Office returns the reply (the notice is issued again, with the reason to read)
    notice = make_notice(org, S.ISSUED)
    client = login(org, STAFF)
    stale = {**hidden(client, notice, "notice_reply"), "text": "旧页面的答复"}
    assert stale["expected_version"] == "0"
    services.notice_reply(notice_id=notice.pk, acting_user=org.user(STAFF), text="第一次答复")
    services.notice_return(notice_id=notice.pk, acting_user=org.user(OFFICE), reason="不具体")
    before = saved_state()
    # when the old page's reply is sent
    response = client.post(reverse("notice_reply", args=[notice.pk]), stale)
    # then it is refused although the state is "issued" again: the return was not read
    assert response.status_code == 409
    assert saved_state() == before


@pytest.mark.parametrize(
    ("state", "url_name", "role", "data", "act"),
    [
        (
            S.DRAFT,
            "notice_issue",
            OFFICE,
            {},
            lambda org, n: services.notice_issue(notice_id=n.pk, acting_user=org.user(OFFICE)),
        ),
        (
            S.ISSUED,
            "notice_withdraw",
            OFFICE,
            {"withdraw-reason": "误发"},
            lambda org, n: services.notice_reply(
                notice_id=n.pk, acting_user=org.user(STAFF), text="已答复"
            ),
        ),
        (
            S.ISSUED,
            "notice_escalate",
            OFFICE,
            {"reason": "逾期"},
            lambda org, n: services.notice_reply(
                notice_id=n.pk, acting_user=org.user(STAFF), text="已答复"
            ),
        ),
        (
            S.ISSUED,
            "notice_extension_request",
            STAFF,
            {"ext-new_date": "2026-03-31", "ext-reason": "人员调整"},
            lambda org, n: services.notice_reply(
                notice_id=n.pk, acting_user=org.user(Role.COMMUNITY_SECRETARY), text="已答复"
            ),
        ),
        (
            S.REPLIED,
            "notice_measures",
            STAFF,
            MEASURES,
            lambda org, n: services.notice_submit_measures(
                notice_id=n.pk,
                acting_user=org.user(Role.COMMUNITY_SECRETARY),
                measures=[services.MeasureInput("书记的措施", "王五", dt.date(2026, 6, 30))],
            ),
        ),
    ],
    ids=["issue", "withdraw", "escalate", "extension-request", "measures"],
)
def test_action_from_a_page_left_open_is_409_and_changes_nothing(
    org, state, url_name, role, data, act
):
    # given the user's case page, then someone else moves the notice on
    notice = make_notice(org, state)
    client = login(org, role)
    stale = {**hidden(client, notice, url_name), **data}
    assert stale["expected_state"] == state
    act(org, notice)
    before = saved_state()
    # when the form of the page left open is sent
    response = client.post(reverse(url_name, args=[notice.pk]), stale)
    # then it is a conflict that changed nothing, linking back to the case
    assert response.status_code == 409, response.content[:300]
    assert saved_state() == before
    assert f'href="{reverse("notice_detail", args=[notice.pk])}"' in response.content.decode()


def test_extension_asked_from_a_page_opened_before_the_reply_is_409(org):
    # an extension for the reply asked from an old page must not move the measures deadline
    notice = make_notice(org, S.ISSUED)
    staff = login(org, STAFF)
    stale = {**hidden(staff, notice, "notice_extension_request")}
    services.notice_reply(notice_id=notice.pk, acting_user=org.user(STAFF), text="已答复")
    response = staff.post(
        reverse("notice_extension_request", args=[notice.pk]),
        {**stale, "ext-new_date": "2026-04-30", "ext-reason": "需协调"},
    )
    assert response.status_code == 409
    assert not DeadlineExtension.objects.exists()


def test_extension_decision_names_the_request_it_decides(org):
    # given the Office's page shows a pending request, which the Office refuses in another tab, and
    # the community asks again
    notice = make_notice(org, S.ISSUED)
    secretary = org.user(Role.COMMUNITY_SECRETARY)
    office = org.user(OFFICE)
    services.extension_request(
        notice_id=notice.pk, acting_user=secretary, new_date=dt.date(2026, 3, 20), reason="外出"
    )
    client = login(org, OFFICE)
    stale = {**hidden(client, notice, "notice_extension_decide"), "grant": "1"}
    services.extension_decide(notice_id=notice.pk, acting_user=office, grant=False, reason="不必")
    services.extension_request(
        notice_id=notice.pk, acting_user=secretary, new_date=dt.date(2026, 6, 30), reason="再申请"
    )
    before = saved_state()
    # when the old page's 批准 is sent
    response = client.post(reverse("notice_extension_decide", args=[notice.pk]), stale)
    # then the new request (another date) is not granted from a page that never showed it
    assert response.status_code == 409
    assert saved_state() == before
    assert DeadlineExtension.objects.filter(state="pending").count() == 1
    # and a double click on a current page grants once
    current = {**hidden(client, notice, "notice_extension_decide"), "grant": "1"}
    url = reverse("notice_extension_decide", args=[notice.pk])
    assert client.post(url, current).status_code == 302
    assert client.post(url, current).status_code == 409
    assert audit_rows(notice, "notice.extension_granted") == 1


def test_extension_decision_without_grant_or_refuse_is_400(org):
    notice = make_notice(org, S.ISSUED)
    services.extension_request(
        notice_id=notice.pk,
        acting_user=org.user(STAFF),
        new_date=dt.date(2026, 3, 20),
        reason="外出",
    )
    client = login(org, OFFICE)
    data = {**hidden(client, notice, "notice_extension_decide"), "dec-reason": "理由"}
    before = saved_state()
    response = client.post(reverse("notice_extension_decide", args=[notice.pk]), data)
    assert response.status_code == 400
    assert saved_state() == before
    assert DeadlineExtension.objects.get().state == "pending"


def test_interview_record_saved_by_someone_else_is_not_overwritten(org):
    # given the Office's page with the interview form, and a colleague records the interview
    notice = make_notice(org, S.ISSUED)
    client = login(org, OFFICE)
    stale = {**hidden(client, notice, "notice_interview"), **INTERVIEW, "summary": "旧页面"}
    colleague = _second_office(org)
    mine = {**hidden(colleague, notice, "notice_interview"), **INTERVIEW, "summary": "同事记录"}
    assert colleague.post(reverse("notice_interview", args=[notice.pk]), mine).status_code == 302
    before = saved_state()
    # when the old page is saved
    response = client.post(reverse("notice_interview", args=[notice.pk]), stale)
    # then the colleague's record stands
    assert response.status_code == 409
    assert saved_state() == before
    assert Notice.objects.get(pk=notice.pk).interview_summary == "同事记录"


def test_dismissal_names_the_proposal_it_dismisses(org):
    from workflows.sweep import run_sweep

    notice = make_notice(org, S.ISSUED)
    run_sweep(now=notice.reply_due_at + dt.timedelta(minutes=1))
    client = login(org, OFFICE)
    data = {**hidden(client, notice, "notice_dismiss_proposal"), "dismiss-reason": "已督促"}
    assert data["expected_proposal"] == str(EscalationProposal.objects.get().pk)
    url = reverse("notice_dismiss_proposal", args=[notice.pk])
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 409
    assert AuditEvent.objects.filter(event_type="notice.escalation_dismissed").count() == 1


# --- the hidden fields are on the page, and required --------------------------------------------

# (state of the notice, who looks, the forms of the page and the hidden fields each carries)
PAGES = [
    (S.DRAFT, OFFICE, {"notice_issue": {"expected_state"}, "notice_withdraw": {"expected_state"}}),
    (
        S.ISSUED,
        OFFICE,
        {
            "notice_interview": {"expected_interview"},
            "notice_escalate": {"expected_state"},
            "notice_withdraw": {"expected_state"},
        },
    ),
    (
        S.ISSUED,
        STAFF,
        {
            "notice_reply": {"expected_state", "expected_version"},
            "notice_extension_request": {"expected_state"},
        },
    ),
    (
        S.REPLIED,
        STAFF,
        {
            "notice_measures": {"expected_state", "expected_version"},
            "notice_extension_request": {"expected_state"},
        },
    ),
    (
        S.REPLIED,
        OFFICE,
        {
            "notice_return": {"expected_state", "expected_version"},
            "notice_interview": {"expected_interview"},
        },
    ),
    (
        S.MEASURES_SUBMITTED,
        OFFICE,
        {
            "notice_verify": {"expected_state", "expected_version"},
            "notice_return": {"expected_state", "expected_version"},
            "notice_interview": {"expected_interview"},
        },
    ),
]


@pytest.mark.parametrize(
    ("state", "role", "expected"), PAGES, ids=[f"{p[0]}-{p[1]}" for p in PAGES]
)
def test_every_form_of_the_case_page_carries_what_it_acts_on(org, state, role, expected):
    notice = make_notice(org, state)
    forms = page_forms(login(org, role), notice)
    carried = {
        name: {
            f for f in forms.get(reverse(name, args=[notice.pk]), {}) if f.startswith("expected_")
        }
        for name in expected
    }
    assert carried == expected
    for fields in forms.values():
        if "expected_state" in fields:
            assert fields["expected_state"] == state


# (url name, state, who, the form's other fields, the hidden field left out)
MISSING = [
    ("notice_issue", S.DRAFT, OFFICE, {}, "expected_state"),
    ("notice_reply", S.ISSUED, STAFF, {"text": "已整改"}, "expected_version"),
    ("notice_reply", S.ISSUED, STAFF, {"text": "已整改"}, "expected_state"),
    ("notice_measures", S.REPLIED, STAFF, MEASURES, "expected_version"),
    ("notice_return", S.REPLIED, OFFICE, {"reason": "过简"}, "expected_state"),
    ("notice_return", S.MEASURES_SUBMITTED, OFFICE, {"reason": "过简"}, "expected_version"),
    ("notice_verify", S.MEASURES_SUBMITTED, OFFICE, {"comment": "同意"}, "expected_version"),
    ("notice_withdraw", S.ISSUED, OFFICE, {"withdraw-reason": "误发"}, "expected_state"),
    ("notice_escalate", S.ISSUED, OFFICE, {"reason": "逾期"}, "expected_state"),
    ("notice_interview", S.ISSUED, OFFICE, INTERVIEW, "expected_interview"),
    (
        "notice_extension_request",
        S.ISSUED,
        STAFF,
        {"ext-new_date": "2026-03-31", "ext-reason": "人员调整"},
        "expected_state",
    ),
]


@pytest.mark.parametrize(
    ("url_name", "state", "role", "data", "left_out"),
    MISSING,
    ids=[f"{m[0]}-{m[4]}" for m in MISSING],
)
def test_form_without_its_hidden_field_is_400_and_changes_nothing(
    org, url_name, state, role, data, left_out
):
    # given the form as the page renders it, less one hidden field
    notice = make_notice(org, state)
    client = login(org, role)
    fields = hidden(client, notice, url_name)
    assert left_out in fields
    del fields[left_out]
    before = saved_state()
    # when it is posted
    response = client.post(reverse(url_name, args=[notice.pk]), {**fields, **data})
    # then the request is refused as incomplete, naming the field by its label (not its code),
    # and nothing changed
    assert response.status_code == 400
    message = alert(response)
    assert str(EXPECTED_LABELS[left_out]) in message and left_out not in message
    assert saved_state() == before


@pytest.mark.parametrize(
    "value", ["", "abc", "-1", "整改\x00"], ids=["empty", "word", "neg", "nul"]
)
def test_unreadable_hidden_field_is_400(org, value):
    notice = make_notice(org, S.REPLIED)
    client = login(org, OFFICE)
    data = {**hidden(client, notice, "notice_return"), "reason": "过简", "expected_version": value}
    before = saved_state()
    response = client.post(reverse("notice_return", args=[notice.pk]), data)
    assert response.status_code == 400
    assert saved_state() == before


def test_missing_hidden_field_from_someone_without_the_right_is_still_403(org):
    # a user who may not act learns nothing about the form: 403 before 400
    notice = make_notice(org, S.REPLIED)
    client = login(org, Role.AUDITOR)
    response = client.post(reverse("notice_return", args=[notice.pk]), {"reason": "x"})
    assert response.status_code == 403


def test_bulk_issue_issues_drafts_it_has_just_written(org):
    # 签发 to several communities: each new draft is issued as the draft it is, one number each
    client = login(org, OFFICE)
    data = {
        "submission_token": str(uuid.uuid4()),
        "kind": "contact",
        "issuing_unit": org.office.pk,
        "targets": [org.community.pk, org.community2.pk],
        "subject": "批量签发",
        "problem": "问题",
        "reply_due_workdays": "5",
        "measures_due_workdays": "10",
        "issue": "1",
        "confirmed": "1",
    }
    assert client.post(reverse("notice_new"), data).status_code == 302
    notices = Notice.objects.filter(subject="批量签发")
    assert sorted(n.state for n in notices) == [S.ISSUED, S.ISSUED]
    assert AuditEvent.objects.filter(event_type="notice.issue").count() == 2
