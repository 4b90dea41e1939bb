"""Official acts on a notice ask for confirmation first (Art. 11): 签发 (also to several
communities at once), 退回, 验收销号 and 撤回.

Posting the act without confirmed=1 shows a page (200) that states what will happen, to which
unit, and the deadline that starts; nothing is written, nothing audited. Its form posts the same
fields again with confirmed=1, and only then is the act done. A page left open while the notice
moved on still gets 409; a role that may not act still gets 403.

Texts new with this page are asserted through gettext (their Chinese arrives with the merged
catalogue); unit names, numbers and dates are data.
"""

from __future__ import annotations

import datetime as dt
import uuid
from html import escape, unescape
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.translation import gettext, override

from core import workdays
from core.models import AuditEvent, Role
from rectification import services
from rectification.models import Notice, NoticeCounter, NoticeState
from tests.formsubmit import form_posting_to, forms_of
from tests.rectification.conftest import CONFIRMED_ACTS, page_fields
from tests.rectification.test_access import ALL, OBJECT_VIEWS, _hidden, _who, make_notice
from tests.rectification.test_bad_input import saved_state

S = NoticeState
OFFICE, STAFF, SECRETARY = Role.OFFICE_STAFF, Role.COMMUNITY_STAFF, Role.COMMUNITY_SECRETARY


def zh(msgid: str) -> str:
    with override("zh-hans"):
        return gettext(msgid)


def login(org, role) -> Client:
    client = Client()
    client.force_login(org.user(role))
    return client


def text(response) -> str:
    return response.content.decode()


def confirm(client, response, url: str):
    """Press the confirmation page's confirm button, as a browser does."""
    form = form_posting_to(text(response), url)
    return client.post(form.action, form.data(button="confirmed"))


def notice_audit(notice) -> list[str]:
    return list(
        AuditEvent.objects.filter(subject_id=str(notice.pk), event_type__startswith="notice.")
        .order_by("id")
        .values_list("event_type", flat=True)
    )


# (act, state the notice is in, what the act's form holds, confirm label, event, state after)
ACTS = [
    ("notice_issue", S.DRAFT, {}, "Confirm issue", "notice.issue", S.ISSUED),
    (
        "notice_return",
        S.REPLIED,
        {"reason": "答复过于简单"},
        "Confirm return",
        "notice.return_reply",
        S.ISSUED,
    ),
    (
        "notice_return",
        S.MEASURES_SUBMITTED,
        {"reason": "措施不具体"},
        "Confirm return",
        "notice.return_measures",
        S.REPLIED,
    ),
    (
        "notice_verify",
        S.MEASURES_SUBMITTED,
        {"comment": "同意销号"},
        "Confirm verification",
        "notice.verify",
        S.VERIFIED,
    ),
    (
        "notice_withdraw",
        S.ISSUED,
        {"withdraw-reason": "误发"},
        "Confirm withdrawal",
        "notice.withdraw",
        S.WITHDRAWN,
    ),
    (
        "notice_withdraw",
        S.DRAFT,
        {"withdraw-reason": "重复起草"},
        "Confirm withdrawal",
        "notice.withdraw",
        S.WITHDRAWN,
    ),
]
IDS = ["issue", "return-reply", "return-measures", "verify", "withdraw-issued", "withdraw-draft"]


@pytest.mark.parametrize(("name", "state", "data", "label", "event", "after"), ACTS, ids=IDS)
def test_an_act_without_confirmation_only_asks(org, name, state, data, label, event, after):
    # given a notice in the state the act applies to, and the Office on its case page
    notice = make_notice(org, "office", state)
    client = login(org, OFFICE)
    before = saved_state()
    # when the Office presses the act's button (the form posts without confirmed)
    url = reverse(name, args=[notice.pk])
    response = client.post(url, {**page_fields(notice, name, confirmed=False), **data})
    # then a confirmation page names the unit, the notice and the consequence, and nothing changed
    assert response.status_code == 200
    page = text(response)
    assert org.community.name in page
    assert zh(label) in page
    assert 'data-testid="consequences"' in page
    if notice.number:
        assert notice.number in page
    assert saved_state() == before
    assert Notice.objects.get(pk=notice.pk).state == state
    # and its 取消 leads back to the case page
    assert f'href="{reverse("notice_detail", args=[notice.pk])}"' in page


@pytest.mark.parametrize(("name", "state", "data", "label", "event", "after"), ACTS, ids=IDS)
def test_the_confirmation_page_performs_the_act_once(org, name, state, data, label, event, after):
    # given the confirmation page of the act
    notice = make_notice(org, "office", state)
    client = login(org, OFFICE)
    url = reverse(name, args=[notice.pk])
    asked = client.post(url, {**page_fields(notice, name, confirmed=False), **data})
    events = notice_audit(notice)
    # when the Office confirms
    response = confirm(client, asked, url)
    # then the act is done, with one audit row
    assert response.status_code == 302
    assert Notice.objects.get(pk=notice.pk).state == after
    assert notice_audit(notice) == [*events, event]


@pytest.mark.parametrize(("name", "state", "data", "label", "event", "after"), ACTS, ids=IDS)
def test_a_confirmation_left_open_while_the_notice_moved_on_is_409(
    org, name, state, data, label, event, after
):
    # given the Office's confirmation page of the act
    notice = make_notice(org, "office", state)
    client = login(org, OFFICE)
    url = reverse(name, args=[notice.pk])
    asked = client.post(url, {**page_fields(notice, name, confirmed=False), **data})
    # and meanwhile a colleague withdrew the notice, or (what cannot be withdrawn) returned it
    colleague = org.user(OFFICE)
    if state in (S.DRAFT, S.ISSUED):
        services.notice_withdraw(notice_id=notice.pk, acting_user=colleague, reason="另行处理")
    else:
        services.notice_return(notice_id=notice.pk, acting_user=colleague, reason="同事已退回")
    moved = Notice.objects.get(pk=notice.pk).state
    events = notice_audit(notice)
    # when the Office confirms
    response = confirm(client, asked, url)
    # then it is refused as stale and nothing more is done
    assert response.status_code == 409
    assert Notice.objects.get(pk=notice.pk).state == moved
    assert notice_audit(notice) == events


def test_a_confirmation_asked_for_a_stale_form_is_409(org):
    # given a case page showing the draft, and the draft issued meanwhile by a colleague
    notice = make_notice(org, "office", S.DRAFT)
    fields = page_fields(notice, "notice_issue", confirmed=False)
    services.notice_issue(notice_id=notice.pk, acting_user=org.user(OFFICE))
    # when the Office presses 签发 on the old page
    response = login(org, OFFICE).post(reverse("notice_issue", args=[notice.pk]), fields)
    # then no confirmation of an act that can no longer happen is shown
    assert response.status_code == 409


@pytest.mark.parametrize("confirmed", [False, True], ids=["asking", "confirmed"])
@pytest.mark.parametrize("role", [STAFF, SECRETARY])
def test_a_community_posting_issue_is_refused_either_way(org, role, confirmed):
    # given a draft of the Office
    notice = make_notice(org, "office", S.DRAFT)
    events = notice_audit(notice)
    # when the community posts 签发, with or without the confirmation
    response = login(org, role).post(
        reverse("notice_issue", args=[notice.pk]),
        page_fields(notice, "notice_issue", confirmed=confirmed),
    )
    # then it is refused as before (a draft is out of the community's sight: 404, not even
    # a confirmation page), and the notice is untouched
    assert response.status_code == 404
    assert Notice.objects.get(pk=notice.pk).state == S.DRAFT
    assert notice_audit(notice) == events


@pytest.mark.parametrize("confirmed", [False, True], ids=["asking", "confirmed"])
def test_a_community_posting_verify_is_forbidden(org, confirmed):
    # given measures submitted on an issued notice the community can see
    notice = make_notice(org, "office", S.MEASURES_SUBMITTED)
    events = notice_audit(notice)
    # when the community itself posts 验收销号
    response = login(org, SECRETARY).post(
        reverse("notice_verify", args=[notice.pk]),
        {**page_fields(notice, "notice_verify", confirmed=confirmed), "comment": "自己销号"},
    )
    # then it is forbidden, asking or confirming, and the notice is untouched
    assert response.status_code == 403
    assert 'data-testid="consequences"' not in text(response)
    assert Notice.objects.get(pk=notice.pk).state == S.MEASURES_SUBMITTED
    assert notice_audit(notice) == events


@pytest.mark.parametrize("confirmed", [False, True], ids=["asking", "confirmed"])
def test_a_department_posting_issue_on_an_office_draft_is_forbidden(org, confirmed):
    # given a draft of the Office, which a lead department can see but does not issue
    notice = make_notice(org, "office", S.DRAFT)
    events = notice_audit(notice)
    # when the 廉政 department posts 签发
    response = login(org, Role.DEPT_ASSESSOR).post(
        reverse("notice_issue", args=[notice.pk]),
        page_fields(notice, "notice_issue", confirmed=confirmed),
    )
    # then it is refused (404 if out of its sight, else 403), and nothing is issued
    assert response.status_code in (403, 404)
    assert Notice.objects.get(pk=notice.pk).state == S.DRAFT
    assert notice_audit(notice) == events


def test_issue_states_the_deadline_that_starts(org, fixed_today):
    # given a draft due 5 working days after issue
    notice = make_notice(org, "office", S.DRAFT)
    client = login(org, OFFICE)
    url = reverse("notice_issue", args=[notice.pk])
    # when the Office asks to issue it
    asked = client.post(url, page_fields(notice, "notice_issue", confirmed=False))
    # then the page names the number it will get, the recipient and the reply deadline
    reply = services.Deadline(workdays=5).resolve(fixed_today)
    page = text(asked)
    assert "2026-联-001" in page
    assert org.community.name in page
    assert workdays.local_date(reply).isoformat() in page
    # and confirmed, the notice gets that number and that deadline
    confirm(client, asked, url)
    notice.refresh_from_db()
    assert notice.number == "2026-联-001"
    assert workdays.local_date(notice.reply_due_at) == workdays.local_date(reply)


def _new_form(org, targets, **extra) -> dict:
    return {
        "submission_token": str(uuid.uuid4()),
        "kind": "contact",
        "issuing_unit": org.office.pk,
        "targets": targets,
        "subject": "批量签发的事由",
        "problem": "问题",
        "reply_due_workdays": "5",
        "measures_due_workdays": "10",
        "issue": "",
        **extra,
    }


def test_bulk_issue_lists_every_notice_and_recipient_before_issuing(org):
    # given the Office's new-notice form for two communities
    client = login(org, OFFICE)
    data = _new_form(org, [org.community.pk, org.community2.pk])
    before = saved_state()
    # when it presses 签发
    url = reverse("notice_new")
    asked = client.post(url, data)
    # then the page lists both notices, each with its recipient and expected number, and
    # nothing exists yet (the one-time token is not used up)
    assert asked.status_code == 200
    page = text(asked)
    assert page.count('data-testid="confirm-row"') == 2
    year = workdays.local_date(services.timezone.now()).year
    for unit, number in ((org.community, 1), (org.community2, 2)):
        assert unit.name in page
        assert f"{year}-联-{number:03d}" in page
    assert saved_state() == before
    assert not NoticeCounter.objects.exists()
    # when it confirms
    response = confirm(client, asked, url)
    # then both are issued, one audit row of issue each
    assert response.status_code == 302
    notices = Notice.objects.filter(subject="批量签发的事由").order_by("number")
    assert [(n.target_id, n.state) for n in notices] == [
        (org.community.pk, S.ISSUED),
        (org.community2.pk, S.ISSUED),
    ]
    assert AuditEvent.objects.filter(event_type="notice.issue").count() == 2
    # and the confirmation sent twice (a double click) issues nothing more
    again = confirm(client, asked, url)
    assert again.status_code == 409
    assert Notice.objects.filter(subject="批量签发的事由").count() == 2


def test_back_to_the_form_keeps_what_was_typed_and_saves_nothing(org):
    # given the confirmation page of a new notice
    client = login(org, OFFICE)
    url = reverse("notice_new")
    asked = client.post(url, _new_form(org, [org.community.pk]))
    before = saved_state()
    # when the Office goes back to the form
    form = form_posting_to(text(asked), url)
    response = client.post(url, form.data(button="revise"))
    # then the form shows what was typed, and nothing was saved
    assert response.status_code == 200
    assert "批量签发的事由" in text(response)
    assert saved_state() == before


def test_issue_from_the_edit_page_asks_then_saves_and_issues(org):
    # given a draft's edit page with a changed subject
    notice = make_notice(org, "office", S.DRAFT)
    client = login(org, OFFICE)
    url = reverse("notice_edit", args=[notice.pk])
    data = {
        **_new_form(org, [org.community.pk], subject="改后签发"),
        **page_fields(notice, "notice_edit", confirmed=False),
    }
    del data["submission_token"]
    before = saved_state()
    # when the Office presses 签发
    asked = client.post(url, data)
    # then it is asked first, with the new subject, and nothing changed
    assert asked.status_code == 200
    assert "改后签发" in text(asked) and org.community.name in text(asked)
    assert saved_state() == before
    # and confirmed, the draft is saved and issued
    assert confirm(client, asked, url).status_code == 302
    notice.refresh_from_db()
    assert (notice.subject, notice.state) == ("改后签发", S.ISSUED)


def test_a_return_without_reason_shows_the_form_error_not_the_confirmation(org):
    # given replied notice
    notice = make_notice(org, "office", S.REPLIED)
    client = login(org, OFFICE)
    before = saved_state()
    # when the Office presses 退回 with no reason
    response = client.post(
        reverse("notice_return", args=[notice.pk]),
        {**page_fields(notice, "notice_return", confirmed=False), "reason": ""},
        follow=True,
    )
    # then the case page says the reason is required, and no confirmation page is shown
    page = text(response)
    assert zh("Confirm return") not in page
    assert 'data-testid="consequences"' not in page
    assert zh("This field is required.") in page
    assert saved_state() == before


def test_issue_with_a_past_deadline_shows_the_form_error_not_the_confirmation(org):
    # given the new-notice form with a reply date already past
    client = login(org, OFFICE)
    data = _new_form(org, [org.community.pk], reply_due_workdays="", reply_due_date="2020-01-06")
    # when the Office presses 签发
    response = client.post(reverse("notice_new"), data)
    # then the form comes back with the reason, not the confirmation page
    assert response.status_code == 200
    page = text(response)
    assert 'data-testid="consequences"' not in page
    assert zh("The reply deadline must be after the day of issue.") in page
    assert not Notice.objects.exists()


def test_return_states_the_new_deadline(org):
    # given replied notice, and a new date given with the return
    notice = make_notice(org, "office", S.REPLIED)
    new_due = workdays.local_date(services.timezone.now()) + dt.timedelta(days=30)
    # when the Office presses 退回
    response = login(org, OFFICE).post(
        reverse("notice_return", args=[notice.pk]),
        {
            **page_fields(notice, "notice_return", confirmed=False),
            "reason": "请补充",
            "new_due": new_due.isoformat(),
        },
    )
    # then the page states the date by which the community must reply again, and the reason
    page = text(response)
    assert new_due.isoformat() in page
    assert "请补充" in page


# (The edit page asks only for its 签发, tested above; its save is no official act.)
ASKING_VIEWS = [
    v for v in OBJECT_VIEWS if v[1] in CONFIRMED_ACTS and v[1] != "notice_edit" and v[3] == "post"
]


@pytest.mark.parametrize("issuer", ["office", "dept"])
@pytest.mark.parametrize("role", sorted(ALL))
@pytest.mark.parametrize(
    ("name", "state", "data", "who"),
    [(v[1], v[2], v[4], v[5]) for v in ASKING_VIEWS],
    ids=[v[0] for v in ASKING_VIEWS],
)
def test_role_asking_for_a_confirmation(org, issuer, role, name, state, data, who):
    # given a notice of the issuer in the state, and a member of A holding the role
    notice = make_notice(org, issuer, state)
    events = notice_audit(notice)
    data = data(org, notice) if callable(data) else data
    # when they post the act without confirmation
    response = login(org, role).post(
        reverse(name, args=[notice.pk]),
        {**page_fields(notice, name, confirmed=False), **data},
    )
    # then whoever may act sees the confirmation page, the others get what they got before
    if role in _hidden(issuer, state):
        assert response.status_code == 404
    elif role in _who(who, issuer):
        assert response.status_code == 200
        assert 'data-testid="consequences"' in text(response)
    else:
        assert response.status_code == 403
    # and nothing happened to the notice
    assert Notice.objects.get(pk=notice.pk).state == state
    assert notice_audit(notice) == events


def test_the_confirmed_act_keeps_where_the_case_was_opened_from(org):
    # given the Office on a draft's case page opened from the ledger
    notice = make_notice(org, "office", S.DRAFT)
    client = login(org, OFFICE)
    back = urlencode({"back": reverse("ledger")})
    case = f"{reverse('notice_detail', args=[notice.pk])}?{back}"
    url = reverse("notice_issue", args=[notice.pk])
    # when it presses 签发 there
    asked = client.post(
        url,
        page_fields(notice, "notice_issue", confirmed=False),
        HTTP_REFERER=f"http://testserver{case}",
    )
    # then 取消 leads back to that page, and so does the confirmed act
    assert f'href="{escape(case)}"' in text(asked)
    (form,) = [f for f in forms_of(text(asked)) if f.action.startswith(url)]
    response = client.post(unescape(form.action), form.data(button="confirmed"))
    assert response.status_code == 302
    assert response["Location"] == case
