"""One function makes the draft of an escalated notice (Art. 11, R11.2): the issuer's escalation
and the deadline engine's automatic escalation build the same next notice, with the same input
checks, issuer and target checks and deadlines."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.models import AuditEvent, Role
from rectification import services
from rectification.models import EscalationProposal, Notice, NoticeKind, NoticeState
from tests.rectification.conftest import notice_input

pytestmark = pytest.mark.django_db

MONDAY = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def monday(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: MONDAY)


def issued(org, **overrides) -> Notice:
    office = org.user(Role.OFFICE_STAFF)
    draft = services.notice_create(
        acting_user=office, data=notice_input(org, **overrides), target_id=org.community.pk
    )
    return services.notice_issue(notice_id=draft.pk, acting_user=office)


class _Undo(Exception):
    pass


def manual_draft(org, notice: Notice) -> dict:
    """The draft the Office's escalation makes of the notice (then undone, so that the engine
    can escalate the same notice)."""
    content = {}
    try:
        with transaction.atomic():
            draft = services.notice_escalate(
                notice_id=notice.pk, acting_user=org.user(Role.OFFICE_STAFF), reason="逾期"
            )
            content.update(services._draft_content(draft), created_by=draft.created_by_id)
            raise _Undo
    except _Undo:
        pass
    return content


def automatic_draft(notice: Notice) -> tuple[Notice, dict]:
    new = services.notice_escalate_automatically(notice_id=notice.pk, job="deadline-sweep")
    return new, services._draft_content(new)


CASES = {
    # deadlines as dates still ahead: kept
    "dates": {
        "reply_due": services.Deadline(date=dt.date(2026, 3, 6)),
        "measures_due": services.Deadline(date=dt.date(2026, 3, 20)),
    },
    # a deadline in working days and a date: kept
    "mixed": {
        "reply_due": services.Deadline(workdays=3),
        "measures_due": services.Deadline(date=dt.date(2026, 3, 20)),
    },
    # deadlines in working days: kept; a supervision sheet becomes an opinion letter + interview
    "workdays": {
        "kind": NoticeKind.SUPERVISION,
        "reply_due": services.Deadline(workdays=7),
        "measures_due": services.Deadline(workdays=12),
    },
    # the longest basis: "escalated from …" is put before it and the whole still fits
    "long basis": {"basis": "依" * services.MAX_BASIS},
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_issuer_and_the_engine_make_the_same_draft(org, case):
    # given an issued notice
    notice = issued(org, **CASES[case])

    # when the Office escalates it, and (instead) the engine does
    manual = manual_draft(org, notice)
    new, automatic = automatic_draft(notice)

    # then both make the same next notice; only the person who made it differs
    assert manual.pop("created_by") == org.user(Role.OFFICE_STAFF).pk
    assert new.created_by_id is None
    assert manual == automatic
    assert automatic["kind"] == services.ESCALATES_TO[notice.kind]
    assert automatic["basis"].startswith(services.escalation_input(notice).basis[:40])
    assert notice.number in automatic["basis"]
    assert len(automatic["basis"]) <= services.MAX_BASIS
    assert automatic["escalated_from"] == notice.pk


@pytest.mark.parametrize("how", ["manual", "automatic"])
def test_deadlines_given_as_dates_that_passed_become_the_working_days_of_art_11(
    org, monkeypatch, how
):
    # given a contact sheet whose deadlines were dates, the reply's now passed
    notice = issued(org, **CASES["dates"])
    later = dt.datetime(2026, 3, 9, 9, 0, tzinfo=dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: later)

    # when it is escalated
    if how == "manual":
        new = services.notice_escalate(
            notice_id=notice.pk, acting_user=org.user(Role.OFFICE_STAFF), reason="逾期"
        )
        content = services._draft_content(new)
        new = services.notice_issue(notice_id=new.pk, acting_user=org.user(Role.OFFICE_STAFF))
    else:
        new, content = automatic_draft(notice)

    # then the supervision sheet counts the defined working days from its own issue (and the
    # measures date still ahead is not kept alone)
    assert (content["reply_due_date"], content["measures_due_date"]) == (None, None)
    assert (content["reply_due_workdays"], content["measures_due_workdays"]) == (
        services.ESCALATED_REPLY_WORKDAYS,
        services.ESCALATED_MEASURES_WORKDAYS,
    )
    assert new.state == NoticeState.ISSUED and new.reply_due_at > new.issued_at


def test_an_opinion_letter_always_requires_an_interview(org):
    # given a supervision sheet without an interview
    notice = issued(org, kind=NoticeKind.SUPERVISION, interview_required=False)

    # when it is escalated either way
    manual = manual_draft(org, notice)
    _new, automatic = automatic_draft(notice)

    # then the opinion letter requires one
    assert manual["interview_required"] and automatic["interview_required"]


def test_the_engine_checks_the_target_as_the_issuer_does(org):
    # given an issued contact sheet whose community has since been deactivated
    notice = issued(org)
    org.community.is_active = False
    org.community.save(update_fields=["is_active"])
    EscalationProposal.objects.create(
        notice=notice, deadline_kind="notice.reply", due_at=notice.reply_due_at, created_at=MONDAY
    )

    # when the Office escalates it: refused
    with pytest.raises(ValidationError):
        services.notice_escalate(
            notice_id=notice.pk, acting_user=org.user(Role.OFFICE_STAFF), reason="逾期"
        )

    # when the engine escalates it: nothing is made either
    assert services.notice_escalate_automatically(notice_id=notice.pk, job="deadline-sweep") is None

    # then the notice stays as it was and the proposal waits for the issuer
    notice.refresh_from_db()
    assert notice.state == NoticeState.ISSUED
    assert not Notice.objects.filter(escalated_from=notice).exists()
    assert EscalationProposal.objects.get(notice=notice).state == "open"
    assert not AuditEvent.objects.filter(event_type="notice.escalate").exists()


def test_the_engine_audits_the_draft_with_its_name(org):
    # given an issued contact sheet
    notice = issued(org)

    # when the engine escalates it
    new, _content = automatic_draft(notice)

    # then the new notice's creation is recorded by the job, with no person
    created = AuditEvent.objects.get(event_type="notice.create", subject_id=str(new.pk))
    assert (created.actor_id, created.actor_label) == (None, "deadline-sweep")
