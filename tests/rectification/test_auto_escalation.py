"""A sub-district that escalates automatically: the engine escalates and issues (Art. 11, R11.2)."""

import datetime as dt

import pytest

from core.audit import verify_chain
from core.models import AuditEvent, Role, WorkItem
from rectification import services
from rectification.models import EscalationProposal, Notice, NoticeKind, NoticeState
from tests.rectification.conftest import notice_input
from workflows.sweep import run_sweep

pytestmark = pytest.mark.django_db


def _issue(org, **overrides):
    office = org.user(Role.OFFICE_STAFF)
    draft = services.notice_create(
        acting_user=office, data=notice_input(org, **overrides), target_id=org.community.pk
    )
    return services.notice_issue(notice_id=draft.pk, acting_user=office)


def test_overdue_contact_sheet_becomes_an_issued_supervision_sheet(org, monkeypatch):
    # given a sub-district that escalates automatically and an issued contact sheet
    org.sd.auto_escalate = True
    org.sd.save(update_fields=["auto_escalate"])
    contact = _issue(org)
    # when the sweep runs after its reply deadline (the clock too: the new notice is issued then)
    later = contact.reply_due_at + dt.timedelta(minutes=5)
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: later)
    run_sweep(now=later)
    # then the contact sheet is escalated and a supervision sheet is issued by the engine
    contact.refresh_from_db()
    assert contact.state == NoticeState.ESCALATED
    new = Notice.objects.get(escalated_from=contact)
    assert (new.kind, new.state, new.created_by, new.issued_by) == (
        NoticeKind.SUPERVISION,
        NoticeState.ISSUED,
        None,
        None,
    )
    assert new.number.endswith("-督-001") and new.reply_due_at > new.issued_at
    assert WorkItem.objects.filter(
        subject_id=new.pk, kind="notice.reply", state="open", owner_unit=org.community
    ).exists()
    # the proposal is settled and nothing waits on the Office for the old notice
    assert EscalationProposal.objects.get(notice=contact).state == "accepted"
    assert not WorkItem.objects.filter(subject_id=contact.pk, state="open").exists()
    # every step is audited with the job's name, no person
    events = AuditEvent.objects.filter(
        event_type__in=["notice.escalate", "notice.issue"], actor__isnull=True
    )
    assert {e.actor_label for e in events} == {"deadline-sweep"}
    assert events.filter(event_type="notice.escalate", subject_id=str(contact.pk)).exists()
    assert verify_chain().ok


def test_opinion_letters_are_not_escalated_and_the_default_is_a_proposal(org):
    opinion = _issue(org, kind=NoticeKind.OPINION)
    contact = _issue(org)
    # default: no automatic escalation
    run_sweep(now=contact.reply_due_at + dt.timedelta(minutes=5))
    contact.refresh_from_db()
    opinion.refresh_from_db()
    assert contact.state == NoticeState.ISSUED and opinion.state == NoticeState.ISSUED
    assert EscalationProposal.objects.filter(notice=contact, state="open").exists()
    assert not EscalationProposal.objects.filter(notice=opinion).exists()
