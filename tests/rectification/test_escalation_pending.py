"""Escalation leaves no gap (Art. 11, R11.2): the escalated notice stays open, in the community's
inbox, until its successor is issued; the unissued successor waits in the issuer's inbox with a due
time; escalating asks for a reason and warns when the notice is not overdue."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from core import workdays
from core.errors import Conflict
from core.models import AuditEvent, Role, WorkItem, WorkItemState
from rectification import services
from rectification.models import Notice, NoticeKind, NoticeState
from tests.rectification.conftest import notice_input, page_fields
from tests.rectification.test_bad_input import alerts, field_errors, saved_state

pytestmark = pytest.mark.django_db


def _open_items(notice) -> list[str]:
    return sorted(
        WorkItem.objects.filter(subject_id=notice.pk, state=WorkItemState.OPEN).values_list(
            "kind", flat=True
        )
    )


def _escalate(org, notice, reason="逾期未答复") -> Notice:
    return services.notice_escalate(
        notice_id=notice.pk, acting_user=org.user(Role.OFFICE_STAFF), reason=reason
    )


def test_the_escalated_notice_stays_open_and_the_draft_is_the_issuers_work(org, issued):
    # when the Office escalates an issued contact sheet
    draft = _escalate(org, issued)
    # then the contact sheet is unchanged: issued, its reply still due in the community's inbox
    issued.refresh_from_db()
    assert issued.state == NoticeState.ISSUED and issued.closed_at is None
    assert _open_items(issued) == ["notice.reply"]
    # the draft is an item of the Office's inbox, due at the end of the second working day
    item = WorkItem.objects.get(subject_id=draft.pk, state=WorkItemState.OPEN)
    assert item.kind == "notice.escalation_draft" and item.owner_unit == org.office
    assert item.reference == issued.number and issued.number in item.title
    today = workdays.local_date(item.created_at)
    assert item.due_at == workdays.end_of_day(workdays.add_workdays(today, 2))
    assert item.url == reverse("notice_edit", args=[draft.pk])
    # and the decision is one audit row on the contact sheet, with the reason
    row = AuditEvent.objects.get(event_type="notice.escalation_drafted")
    assert row.subject_id == str(issued.pk) and row.actor == org.user(Role.OFFICE_STAFF)
    assert row.after["reason"] == "逾期未答复" and row.after["escalated_to"] == draft.pk


def test_issuing_the_draft_escalates_the_notice_with_the_reason(org, issued):
    office = org.user(Role.OFFICE_STAFF)
    draft = _escalate(org, issued, reason="逾期未答复，电话督促无果")
    # when the draft is issued
    services.notice_issue(notice_id=draft.pk, acting_user=office)
    # then the contact sheet is 已升级, closed with the reason, out of every inbox
    issued.refresh_from_db()
    assert issued.state == NoticeState.ESCALATED
    assert issued.close_reason == "逾期未答复，电话督促无果" and issued.closed_at is not None
    assert _open_items(issued) == []
    # the Office's draft item is done; the supervision sheet waits for the community's reply
    assert _open_items(draft) == ["notice.reply"]
    done = WorkItem.objects.get(subject_id=draft.pk, kind="notice.escalation_draft")
    assert done.state == WorkItemState.DONE
    # one audit row for each notice's change of state, both naming the Office's person
    escalate = AuditEvent.objects.get(event_type="notice.escalate")
    assert escalate.subject_id == str(issued.pk) and escalate.actor == office
    assert escalate.before["state"] == "issued" and escalate.after["state"] == "escalated"
    assert AuditEvent.objects.filter(event_type="notice.issue", subject_id=str(draft.pk)).count()


def test_a_second_escalation_while_a_draft_waits_is_a_conflict(org, issued):
    _escalate(org, issued)
    before = saved_state()
    with pytest.raises(Conflict) as exc:
        _escalate(org, issued, reason="再次升级")
    assert issued.number in str(exc.value.message)
    assert saved_state() == before


def test_withdrawing_the_draft_lets_the_notice_be_escalated_again(org, issued):
    office = org.user(Role.OFFICE_STAFF)
    draft = _escalate(org, issued)
    # when the Office withdraws the draft
    services.notice_withdraw(notice_id=draft.pk, acting_user=office, reason="先电话督促")
    # then the draft is withdrawn, unlinked, out of the inbox; the link is kept in its audit row
    draft.refresh_from_db()
    assert draft.state == NoticeState.WITHDRAWN and draft.escalated_from is None
    assert _open_items(draft) == []
    row = AuditEvent.objects.get(event_type="notice.withdraw", subject_id=str(draft.pk))
    assert row.after["escalation_of"] == issued.pk
    # the contact sheet is as it was, and can be escalated again
    issued.refresh_from_db()
    assert issued.state == NoticeState.ISSUED and _open_items(issued) == ["notice.reply"]
    again = _escalate(org, issued, reason="仍未答复")
    assert again.escalated_from_id == issued.pk


def test_a_draft_whose_notice_moved_on_cannot_be_issued(org, issued):
    office, staff = org.user(Role.OFFICE_STAFF), org.user(Role.COMMUNITY_STAFF)
    draft = _escalate(org, issued)
    # when the community replies in time, before the draft is issued
    services.notice_reply(notice_id=issued.pk, acting_user=staff, text="已答复")
    before = saved_state()
    # then issuing the draft is refused, naming the notice and its state; nothing changes
    with translation.override("en"), pytest.raises(Conflict) as exc:
        services.notice_issue(notice_id=draft.pk, acting_user=office)
    assert issued.number in str(exc.value.message) and "Replied" in str(exc.value.message)
    assert saved_state() == before


def test_the_draft_goes_to_the_community_of_the_escalated_notice(org, issued):
    draft = _escalate(org, issued)
    data = services.escalation_input(issued)
    with pytest.raises(ValidationError):
        services.notice_update_draft(
            notice_id=draft.pk,
            acting_user=org.user(Role.OFFICE_STAFF),
            data=data,
            target_id=org.community2.pk,
        )
    assert Notice.objects.get(pk=draft.pk).target == org.community


def test_the_community_sees_its_notice_open_and_not_the_draft(client, org, issued):
    draft = _escalate(org, issued)
    client.force_login(org.user(Role.COMMUNITY_STAFF))
    page = client.get(reverse("notice_detail", args=[issued.pk])).content.decode()
    assert reverse("notice_detail", args=[draft.pk]) not in page
    assert 'data-testid="escalation-pending"' not in page
    assert 'data-event="notice.escalation_drafted"' not in page  # the issuer's draft history
    assert client.get(reverse("notice_detail", args=[draft.pk])).status_code == 404
    # the Office sees the pending draft, marked as not yet issued
    client.force_login(org.user(Role.OFFICE_STAFF))
    page = client.get(reverse("notice_detail", args=[issued.pk])).content.decode()
    assert reverse("notice_detail", args=[draft.pk]) in page
    assert 'data-testid="escalation-pending"' in page
    assert reverse("notice_escalate", args=[issued.pk]) not in page  # one escalation at a time
    assert 'data-event="notice.escalation_drafted"' in page


def test_the_engine_leaves_a_waiting_draft_to_the_issuer(org, issued):
    draft = _escalate(org, issued)
    before = saved_state()
    assert services.notice_escalate_automatically(notice_id=issued.pk, job="sweep") is None
    assert saved_state() == before
    assert Notice.objects.get(pk=draft.pk).state == NoticeState.DRAFT


# --- the escalation form (R11.2) ----------------------------------------------------------------


def test_escalating_without_a_reason_asks_for_one_and_changes_nothing(client, org, issued):
    client.force_login(org.user(Role.OFFICE_STAFF))
    before = saved_state()
    response = client.post(
        reverse("notice_escalate", args=[issued.pk]),
        {"reason": "  ", **page_fields(issued, "notice_escalate")},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert field_errors(page)  # the reason field is marked
    assert '<details class="mb-3" open' in page  # and shown open, with the form
    assert saved_state() == before


def test_a_notice_not_overdue_is_escalated_only_with_a_warning(client, org, issued):
    client.force_login(org.user(Role.OFFICE_STAFF))
    page = client.get(reverse("notice_detail", args=[issued.pk])).content.decode()
    assert 'data-testid="escalate-early"' in page and "尚未逾期" in page
    assert issued.reply_due_at.astimezone(workdays.SHANGHAI).strftime("%Y-%m-%d") in page


def test_an_overdue_notice_shows_no_warning(client, org, issued, monkeypatch):
    from django.utils import timezone

    later = issued.reply_due_at + dt.timedelta(minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    client.force_login(org.user(Role.OFFICE_STAFF))
    page = client.get(reverse("notice_detail", args=[issued.pk])).content.decode()
    assert 'data-testid="escalate-withdraw"' in page
    assert 'data-testid="escalate-early"' not in page


def test_an_opinion_letter_offers_only_withdrawal(client, org):
    office = org.user(Role.OFFICE_STAFF)
    draft = services.notice_create(
        acting_user=office,
        data=notice_input(org, kind=NoticeKind.OPINION),
        target_id=org.community.pk,
    )
    letter = services.notice_issue(notice_id=draft.pk, acting_user=office)
    client.force_login(office)
    page = client.get(reverse("notice_detail", args=[letter.pk])).content.decode()
    assert "<summary>撤回</summary>" in page
    assert "升级或撤回" not in page
    assert reverse("notice_escalate", args=[letter.pk]) not in page
    assert not alerts(page) or all("escalat" not in a.lower() for a in alerts(page))
