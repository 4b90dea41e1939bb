"""The deadline sweep (Art. 11): reminders, overdue events, escalation proposals, batches, faults,
two sweeps at once, a database that goes away, and the engine's health.

Every count is taken per item, so "no duplicate" means exactly one ledger row, one audit row and
one notification per person for each item, not merely "the totals look right".
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from io import StringIO

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.db import OperationalError, connection
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.audit import verify_chain
from core.errors import Conflict
from core.models import (
    AuditEvent,
    Notification,
    ReminderSent,
    Role,
    SweepRun,
    WorkItem,
    WorkItemState,
)
from rectification import services
from rectification.deadlines import WI_PROPOSAL
from rectification.models import EscalationProposal, Notice, NoticeKind
from tests.workflows.conftest import at, end_of, issue, reply_item
from workflows import health, sweep
from workflows.schedules import declared
from workflows.sweep import run_sweep
from workflows.tasks import deadline_sweep_task

pytestmark = pytest.mark.usefixtures("engine_settings")

# Per overdue item: (overdue_at set, audit rows, overdue notifications, proposals, proposal items).
# Three notifications: the community's staff and secretary, and the Office's staff member (the
# Office's administrator holds no receiving role).
DONE = (True, 1, 3, 1, 1)
UNTOUCHED = (False, 0, 0, 0, 0)
# Per reminded item (3-day step): (ledger rows, notifications): one each for staff and secretary.
REMINDED = (1, 2)
NOT_REMINDED = (0, 0)


class InjectedFault(RuntimeError):
    """Raised to kill a sweep in the middle."""


def inject_fault(monkeypatch, *, after_batches: int) -> Callable[[], None]:
    """The sweep dies before its batch number `after_batches + 1` (reminder and overdue batches
    counted together, as they run); returns a function that lets later sweeps run in full."""
    state = {"batches": 0, "armed": True}

    def dying(batch):
        def wrapper(*args, **kwargs):
            state["batches"] += 1
            if state["armed"] and state["batches"] > after_batches:
                raise InjectedFault(f"fault injected after {after_batches} batches")
            return batch(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(sweep, "_remind_batch", dying(sweep._remind_batch))
    monkeypatch.setattr(sweep, "_overdue_batch", dying(sweep._overdue_batch))
    return lambda: state.update(armed=False)


def notice_type() -> ContentType:
    return ContentType.objects.get_for_model(Notice)


def community_people(org) -> set[int]:
    return {org.user(Role.COMMUNITY_STAFF).pk, org.user(Role.COMMUNITY_SECRETARY).pk}


def ledger(notice: Notice) -> list[tuple[int, object]]:
    return sorted(
        ReminderSent.objects.filter(work_item=reply_item(notice)).values_list("days", "due_at")
    )


def notes(notice: Notice, verb: str):
    return Notification.objects.filter(
        verb=verb, subject_type=notice_type(), subject_id=notice.pk
    ).order_by("id")


def overdue_state(notice: Notice) -> tuple:
    ct = notice_type()
    return (
        reply_item(notice).overdue_at is not None,
        AuditEvent.objects.filter(
            event_type="deadline.overdue", subject_type=ct, subject_id=str(notice.pk)
        ).count(),
        notes(notice, "deadline.overdue").count(),
        EscalationProposal.objects.filter(notice=notice).count(),
        WorkItem.objects.filter(kind=WI_PROPOSAL, subject_type=ct, subject_id=notice.pk).count(),
    )


def reminder_state(notice: Notice, days: int = 3) -> tuple[int, int]:
    verb = "deadline.due_today" if days == 0 else f"deadline.reminder_{days}"
    return (
        ReminderSent.objects.filter(work_item=reply_item(notice), days=days).count(),
        notes(notice, verb).count(),
    )


def totals() -> tuple[int, int, int, int]:
    return (
        ReminderSent.objects.count(),
        Notification.objects.count(),
        AuditEvent.objects.count(),
        EscalationProposal.objects.count(),
    )


# --- 1. reminders -------------------------------------------------------------------------------


def test_reminders_at_three_and_one_working_days_and_on_the_due_day(org, clock):
    # given: issued on Monday 2 March with 2 working days → due Wednesday 4 March, 23:59:59
    notice = issue(org, reply_workdays=2)
    assert reply_item(notice).due_at == end_of(4)
    due = end_of(4)

    # when: Monday's sweep (2 working days left)
    result = run_sweep(now=at(2, 10))
    # then: the 3-day reminder only, to each person of the community
    assert result.reminders == 1 and result.overdue == 0
    assert ledger(notice) == [(3, due)]
    reminder = notes(notice, "deadline.reminder_3")
    assert {n.recipient_user_id for n in reminder} == community_people(org)
    assert {n.recipient_unit_id for n in reminder} == {org.community.pk}
    assert all(n.url == reverse("notice_detail", args=[notice.pk]) for n in reminder)
    assert not notes(notice, "deadline.reminder_1").exists()
    assert not notes(notice, "deadline.due_today").exists()

    # when: the same sweep again, and a later one on the same day
    before = totals()
    again = run_sweep(now=at(2, 10))
    later = run_sweep(now=at(2, 17, 30))
    # then: nothing more
    assert again.reminders == later.reminders == 0
    assert totals() == before

    # when: Tuesday, 1 working day left
    tuesday = run_sweep(now=at(3, 10))
    # then: the 1-day reminder, once
    assert tuesday.reminders == 1
    assert ledger(notice) == [(1, due), (3, due)]
    assert {n.recipient_user_id for n in notes(notice, "deadline.reminder_1")} == (
        community_people(org)
    )
    assert notes(notice, "deadline.reminder_1").count() == 2
    assert run_sweep(now=at(3, 15)).reminders == 0

    # when: the due day itself
    wednesday = run_sweep(now=at(4, 9))
    run_sweep(now=at(4, 16))
    # then: the due-day reminder, once; nothing is overdue yet
    assert wednesday.reminders == 1 and wednesday.overdue == 0
    assert ledger(notice) == [(0, due), (1, due), (3, due)]
    assert notes(notice, "deadline.due_today").count() == 2
    assert reminder_state(notice, 3) == reminder_state(notice, 1) == reminder_state(notice, 0)
    assert reply_item(notice).overdue_at is None


def test_an_item_with_one_working_day_left_gets_only_the_one_day_reminder(org, clock):
    # given: issued on Tuesday 3 March with 1 working day → due Wednesday
    clock.set(at(3, 10))
    notice = issue(org, reply_workdays=1)

    # when
    result = run_sweep(now=at(3, 10, 5))

    # then: not the 3-day and the 1-day reminder at once
    assert result.reminders == 1
    assert ledger(notice) == [(1, end_of(4))]
    assert reminder_state(notice, 1) == (1, 2)
    assert not notes(notice, "deadline.reminder_3").exists()
    assert not notes(notice, "deadline.due_today").exists()


def test_an_item_due_in_more_than_three_working_days_gets_no_reminder_yet(org, clock):
    # given: Monday, 5 working days → due Monday 9 March
    notice = issue(org, reply_workdays=5)

    # when
    result = run_sweep(now=at(2, 10))

    # then
    assert result.reminders == 0
    assert ledger(notice) == []
    assert not Notification.objects.filter(verb__startswith="deadline.").exists()


def test_a_changed_due_time_gets_its_own_reminders(org, clock):
    # given: due Wednesday; the 3-day (Monday) and 1-day (Tuesday) reminders are sent
    notice = issue(org, reply_workdays=2)
    run_sweep(now=at(2, 10))
    run_sweep(now=at(3, 10))
    assert ledger(notice) == [(1, end_of(4)), (3, end_of(4))]

    # when: on Tuesday the deadline is extended to Friday (as an approved extension does)
    WorkItem.objects.filter(pk=reply_item(notice).pk).update(due_at=end_of(6))
    tuesday = run_sweep(now=at(3, 11))
    thursday = run_sweep(now=at(5, 10))
    friday = run_sweep(now=at(6, 10))
    run_sweep(now=at(6, 11))

    # then: the new due time is reminded at each step once; the old ones are kept
    assert (tuesday.reminders, thursday.reminders, friday.reminders) == (1, 1, 1)
    assert ledger(notice) == [
        (0, end_of(6)),
        (1, end_of(4)),
        (1, end_of(6)),
        (3, end_of(4)),
        (3, end_of(6)),
    ]
    assert notes(notice, "deadline.reminder_3").count() == 4
    assert notes(notice, "deadline.reminder_1").count() == 4
    assert notes(notice, "deadline.due_today").count() == 2
    # and the old due time (Wednesday) is not reported overdue on Thursday
    assert reply_item(notice).overdue_at is None


def test_closed_items_get_no_reminders(org, clock):
    # given: the community replied on Monday (the reply item is closed)
    notice = issue(org, reply_workdays=2)
    services.notice_reply(
        notice_id=notice.pk, acting_user=org.user(Role.COMMUNITY_STAFF), text="已按要求整改。"
    )
    assert reply_item(notice).state == WorkItemState.DONE

    # when
    run_sweep(now=at(4, 10))
    run_sweep(now=at(5, 10))

    # then
    assert ledger(notice) == []
    assert overdue_state(notice) == UNTOUCHED


# --- 2. overdue events and escalation proposals ---------------------------------------------------


@pytest.mark.parametrize("kind", [NoticeKind.CONTACT, NoticeKind.SUPERVISION])
def test_the_first_sweep_after_the_due_time_records_one_overdue_event(org, clock, kind):
    # given: due Tuesday 3 March, 23:59:59
    notice = issue(org, reply_workdays=1, kind=kind)
    item = reply_item(notice)
    office = org.user(Role.OFFICE_STAFF)

    # when: Wednesday's sweep
    moment = at(4, 10)
    result = run_sweep(now=moment)

    # then: the work item is marked, once
    assert result.overdue == 1 and result.proposals == 1
    item.refresh_from_db()
    assert item.overdue_at == moment
    assert item.state == WorkItemState.OPEN  # the community must still reply
    # one audit row about the notice, written by the sweep (no person)
    event = AuditEvent.objects.get(event_type="deadline.overdue")
    assert (event.subject_type, event.subject_id) == (notice_type(), str(notice.pk))
    assert event.actor_id is None and event.actor_label == "deadline-sweep"
    assert event.sub_district_id == org.sd.pk
    assert event.after["work_item"] == item.pk and event.after["kind"] == "notice.reply"
    # the community's people and the issuing Office hear of it
    assert sorted(
        notes(notice, "deadline.overdue").values_list("recipient_unit_id", "recipient_user_id")
    ) == sorted(
        [(org.community.pk, pk) for pk in community_people(org)] + [(org.office.pk, office.pk)]
    )
    # an open escalation proposal, and a work item for the issuing unit to decide on it
    proposal = EscalationProposal.objects.get(notice=notice)
    assert proposal.state == "open"
    assert (proposal.deadline_kind, proposal.due_at) == ("notice.reply", end_of(3))
    decide = WorkItem.objects.get(kind=WI_PROPOSAL, subject_id=notice.pk)
    assert decide.owner_unit_id == org.office.pk and decide.state == WorkItemState.OPEN
    assert decide.subject_type == notice_type()
    assert overdue_state(notice) == DONE

    # when: the sweep runs again, now and later
    before = totals()
    again = run_sweep(now=moment)
    later = run_sweep(now=at(6, 10))
    # then: nothing more
    assert again.overdue == later.overdue == again.proposals == later.proposals == 0
    assert totals() == before
    assert overdue_state(notice) == DONE


def test_overdue_measures_are_proposed_for_escalation_too(org, clock):
    # given: issued Monday 2 March (measures due in 6 working days: Tuesday 10 March); the
    # community replied on Tuesday 3 March, so the measures are now owed
    notice = issue(org, reply_workdays=1)
    clock.set(at(3, 10))
    services.notice_reply(
        notice_id=notice.pk, acting_user=org.user(Role.COMMUNITY_STAFF), text="已收到，正在整改。"
    )
    measures = WorkItem.objects.get(kind=services.WI_MEASURES, subject_id=notice.pk)
    assert measures.due_at == end_of(10)

    # when: Wednesday 11 March
    clock.set(at(11, 10))
    result = run_sweep(now=at(11, 10))

    # then: the measures item is recorded overdue (the closed reply item is not) and proposed
    assert (result.overdue, result.proposals) == (1, 1)
    measures.refresh_from_db()
    assert measures.overdue_at == at(11, 10)
    assert reply_item(notice).overdue_at is None
    event = AuditEvent.objects.get(event_type="deadline.overdue")
    assert event.after["kind"] == "notice.measures" and event.after["work_item"] == measures.pk
    assert notes(notice, "deadline.overdue").count() == 3
    proposal = EscalationProposal.objects.get(notice=notice, state="open")
    assert proposal.deadline_kind == "notice.measures"

    # when: the Office accepts
    new = services.notice_escalate(
        notice_id=notice.pk, acting_user=org.user(Role.OFFICE_STAFF), reason="逾期未整改"
    )

    # then
    proposal.refresh_from_db()
    assert proposal.state == "accepted" and new.kind == NoticeKind.SUPERVISION


def test_an_overdue_opinion_letter_is_recorded_but_not_proposed_for_escalation(org, clock):
    # given: an opinion letter (the top of the ladder) due Tuesday
    notice = issue(org, reply_workdays=1, kind=NoticeKind.OPINION)

    # when
    result = run_sweep(now=at(4, 10))

    # then: the overdue event and its notifications, but no proposal
    assert result.overdue == 1 and result.proposals == 0
    assert overdue_state(notice) == (True, 1, 3, 0, 0)


def test_the_audit_chain_verifies_after_many_batched_overdue_events(org, clock):
    # given: 10 items overdue on Thursday, and a few ordinary audit rows before and after
    notices = [issue(org, reply_workdays=1) for _ in range(10)]

    # when: batches of 3 → 4 overdue batches, each appending its audit rows in one go
    result = run_sweep(now=at(5, 10), batch_size=3)
    issue(org, reply_workdays=3)  # a normal, one-row append after the batches

    # then
    assert result.overdue == 10
    report = verify_chain()
    assert report.ok, report.reason
    assert report.checked == AuditEvent.objects.count()
    assert AuditEvent.objects.filter(event_type="deadline.overdue").count() == 10
    assert all(overdue_state(n) == DONE for n in notices)


def test_accepting_a_proposal_escalates_the_notice_and_marks_it_accepted(org, clock):
    # given: an overdue contact sheet with an open proposal
    notice = issue(org, reply_workdays=1)
    run_sweep(now=at(4, 10))
    office = org.user(Role.OFFICE_STAFF)
    clock.set(at(4, 11))

    # when: the Office accepts (escalates)
    new = services.notice_escalate(notice_id=notice.pk, acting_user=office, reason="逾期未回复")

    # then
    proposal = EscalationProposal.objects.get(notice=notice)
    assert proposal.state == "accepted"
    assert proposal.decided_by == office and proposal.decided_at == at(4, 11)
    assert new.kind == NoticeKind.SUPERVISION and new.escalated_from_id == notice.pk
    # the proposal's item is done; the community's reply stays due until the new notice is issued
    open_kinds = WorkItem.objects.filter(
        subject_type=notice_type(), subject_id=notice.pk, state=WorkItemState.OPEN
    ).values_list("kind", flat=True)
    assert list(open_kinds) == ["notice.reply"]
    services.notice_issue(notice_id=new.pk, acting_user=office)
    assert not WorkItem.objects.filter(
        subject_type=notice_type(), subject_id=notice.pk, state=WorkItemState.OPEN
    ).exists()
    # and a later sweep proposes nothing new for the escalated notice
    assert run_sweep(now=at(5, 10)).proposals == 0
    assert EscalationProposal.objects.filter(notice=notice).count() == 1


def test_dismissing_a_proposal_with_a_reason(org, clock):
    # given: an overdue contact sheet with an open proposal
    notice = issue(org, reply_workdays=1)
    run_sweep(now=at(4, 10))
    office = org.user(Role.OFFICE_STAFF)
    clock.set(at(4, 11))
    audit_rows = AuditEvent.objects.count()

    # when
    services.proposal_dismiss(notice_id=notice.pk, acting_user=office, reason="社区已电话说明情况")

    # then: dismissed, its work item closed, one audit row by the Office
    proposal = EscalationProposal.objects.get(notice=notice)
    assert proposal.state == "dismissed" and proposal.reason == "社区已电话说明情况"
    assert proposal.decided_by == office and proposal.decided_at == at(4, 11)
    decide = WorkItem.objects.get(kind=WI_PROPOSAL, subject_id=notice.pk)
    assert decide.state == WorkItemState.DONE and decide.closed_at == at(4, 11)
    assert reply_item(notice).state == WorkItemState.OPEN  # the reply is still owed
    event = AuditEvent.objects.latest("id")
    assert event.event_type == "notice.escalation_dismissed" and event.actor_id == office.pk
    assert (event.subject_type, event.subject_id) == (notice_type(), str(notice.pk))
    assert event.after["reason"] == "社区已电话说明情况"
    assert AuditEvent.objects.count() == audit_rows + 1

    # when: dismissed again → Conflict, nothing written
    with pytest.raises(Conflict):
        services.proposal_dismiss(notice_id=notice.pk, acting_user=office, reason="再次")
    # then
    assert AuditEvent.objects.count() == audit_rows + 1
    # and the sweep does not raise the same proposal again
    assert run_sweep(now=at(5, 10)).proposals == 0
    assert EscalationProposal.objects.filter(notice=notice).count() == 1


def test_a_proposal_is_not_dismissed_without_a_reason_or_by_the_community(org, clock):
    # given
    notice = issue(org, reply_workdays=1)
    run_sweep(now=at(4, 10))

    # when / then: no reason
    with pytest.raises(ValidationError):
        services.proposal_dismiss(
            notice_id=notice.pk, acting_user=org.user(Role.OFFICE_STAFF), reason="  "
        )
    # when / then: the community cannot dismiss the proposal about itself
    with pytest.raises(PermissionDenied):
        services.proposal_dismiss(
            notice_id=notice.pk, acting_user=org.user(Role.COMMUNITY_STAFF), reason="不同意"
        )
    assert EscalationProposal.objects.get(notice=notice).state == "open"


# --- 3. batches and faults ------------------------------------------------------------------------


@pytest.fixture
def workload(org, clock):
    """10 items overdue on Thursday 5 March (issued Monday, due Tuesday) and 4 items due Monday
    9 March (issued Thursday: 2 working days left → the 3-day reminder)."""
    overdue = [issue(org, reply_workdays=1, subject=f"逾期事项{i}") for i in range(10)]
    clock.set(at(5, 9))
    reminded = [issue(org, reply_workdays=2, subject=f"临期事项{i}") for i in range(4)]
    clock.set(at(5, 10))
    return overdue, reminded


def assert_all_or_nothing(overdue, reminded) -> tuple[int, int]:
    """Every item fully done or untouched; returns how many of each kind are done."""
    overdue_states = [overdue_state(n) for n in overdue]
    reminder_states = [reminder_state(n) for n in reminded]
    assert set(overdue_states) <= {DONE, UNTOUCHED}, overdue_states
    assert set(reminder_states) <= {REMINDED, NOT_REMINDED}, reminder_states
    return reminder_states.count(REMINDED), overdue_states.count(DONE)


def assert_complete(overdue, reminded) -> None:
    assert [overdue_state(n) for n in overdue] == [DONE] * len(overdue)
    assert [reminder_state(n) for n in reminded] == [REMINDED] * len(reminded)
    assert ReminderSent.objects.count() == len(reminded)
    assert AuditEvent.objects.filter(event_type="deadline.overdue").count() == len(overdue)
    # one notification per person and item, never two
    assert not duplicated_notifications()


def duplicated_notifications() -> list:

    return list(
        Notification.objects.filter(verb__startswith="deadline.")
        .values("verb", "subject_id", "recipient_unit_id", "recipient_user_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )


def test_batches_of_three_do_all_ten_overdue_items(workload):
    # given
    overdue, reminded = workload

    # when
    result = run_sweep(now=at(5, 10), batch_size=3)

    # then
    assert (result.reminders, result.overdue, result.proposals) == (4, 10, 10)
    # reminder steps 0 and 1: one (empty) batch each; step 3: 3 + 1 + an empty one to be sure no
    # concurrent sweep left rows behind; overdue: 3 + 3 + 3 + 1 + an empty one
    assert result.batches == 1 + 1 + 3 + 5
    assert_complete(overdue, reminded)
    run = SweepRun.objects.get()
    assert run.ok and run.finished_at is not None and run.error == ""
    assert (run.reminders, run.overdue, run.proposals, run.examined) == (4, 10, 10, 14)


# The sweep's batches for the workload at batch_size=3, in order: reminder step 0 (nothing),
# step 1 (nothing), step 3 (3 items, 1, nothing), overdue (3, 3, 3, 1, nothing). After k
# finished batches:
DONE_AFTER = {
    1: (0, 0),
    2: (0, 0),
    3: (3, 0),
    4: (4, 0),
    5: (4, 0),
    6: (4, 3),
    7: (4, 6),
    8: (4, 9),
    9: (4, 10),
}


@pytest.mark.parametrize("k", sorted(DONE_AFTER), ids=lambda k: f"after{k}batches")
def test_a_sweep_killed_after_k_batches_leaves_nothing_half_done(workload, k, monkeypatch):
    # given
    overdue, reminded = workload

    # when: the sweep dies after k batches
    disarm = inject_fault(monkeypatch, after_batches=k)
    with pytest.raises(InjectedFault):
        run_sweep(now=at(5, 10), batch_size=3)

    # then: every item is fully done or untouched, and exactly the first k batches are done
    assert assert_all_or_nothing(overdue, reminded) == DONE_AFTER[k]
    assert not duplicated_notifications()
    failed = SweepRun.objects.get()
    assert not failed.ok and "InjectedFault" in failed.error
    assert failed.finished_at is not None
    assert (failed.reminders, failed.overdue) == DONE_AFTER[k]

    # when: the next sweep (a little later)
    disarm()
    result = run_sweep(now=at(5, 10, 5), batch_size=3)

    # then: it completes exactly the rest
    assert (result.reminders, result.overdue) == (4 - DONE_AFTER[k][0], 10 - DONE_AFTER[k][1])
    assert_complete(overdue, reminded)
    assert verify_chain().ok
    assert SweepRun.objects.filter(ok=True).count() == 1


def test_a_fault_inside_an_overdue_batch_rolls_back_the_whole_batch(workload, monkeypatch):
    # given: notifications fail in the second overdue batch, after its audit rows were written
    overdue, reminded = workload
    real_notify_items = sweep.notify_items
    seen: dict[str, int] = {"overdue_batches": 0}

    def failing_notify_items(verb, pairs):
        if verb == "deadline.overdue":
            seen["overdue_batches"] += 1
            if seen["overdue_batches"] == 2:
                seen["audit_rows"] = AuditEvent.objects.filter(
                    event_type="deadline.overdue"
                ).count()
                seen["marked"] = WorkItem.objects.filter(overdue_at__isnull=False).count()
                seen["proposals"] = EscalationProposal.objects.count()
                raise RuntimeError("notification outbox unavailable")
        return real_notify_items(verb, pairs)

    monkeypatch.setattr(sweep, "notify_items", failing_notify_items)

    # when
    with pytest.raises(RuntimeError, match="outbox unavailable"):
        run_sweep(now=at(5, 10), batch_size=3)

    # then: inside the failing batch its rows existed …
    assert (seen["audit_rows"], seen["marked"], seen["proposals"]) == (6, 6, 6)
    # … and were all rolled back: only the first overdue batch (and the reminders) remain
    assert assert_all_or_nothing(overdue, reminded) == (4, 3)
    assert AuditEvent.objects.filter(event_type="deadline.overdue").count() == 3
    assert not SweepRun.objects.get().ok
    assert verify_chain().ok

    # when: the next sweep, with notifications working again
    monkeypatch.setattr(sweep, "notify_items", real_notify_items)
    result = run_sweep(now=at(5, 10, 5), batch_size=3)

    # then
    assert (result.reminders, result.overdue) == (0, 7)
    assert_complete(overdue, reminded)
    assert verify_chain().ok


def test_a_fault_inside_a_reminder_batch_rolls_back_its_ledger_rows(workload, monkeypatch):
    # given: the second 3-day reminder batch fails after its ledger rows were inserted
    overdue, reminded = workload
    real_notify_items = sweep.notify_items
    calls = {"n": 0}

    def failing_notify_items(verb, pairs):
        if verb == "deadline.reminder_3":
            calls["n"] += 1
            if calls["n"] == 2:
                assert ReminderSent.objects.count() == 4  # 3 committed + 1 of this batch
                raise RuntimeError("notification outbox unavailable")
        return real_notify_items(verb, pairs)

    monkeypatch.setattr(sweep, "notify_items", failing_notify_items)

    # when
    with pytest.raises(RuntimeError):
        run_sweep(now=at(5, 10), batch_size=3)

    # then: the first batch's 3 reminders remain, the failing batch's ledger row is gone
    assert assert_all_or_nothing(overdue, reminded) == (3, 0)
    assert ReminderSent.objects.count() == 3

    # when
    monkeypatch.setattr(sweep, "notify_items", real_notify_items)
    run_sweep(now=at(5, 10, 5), batch_size=3)

    # then
    assert_complete(overdue, reminded)


def test_an_overdue_batch_costs_the_same_queries_whatever_its_size(org, clock):

    # given: 2 items overdue on Thursday
    for _ in range(2):
        issue(org, reply_workdays=1)
    # when
    with CaptureQueriesContext(connection) as small:
        assert run_sweep(now=at(5, 10)).overdue == 2
    # given: 8 more
    clock.set(at(2, 11))
    for _ in range(8):
        issue(org, reply_workdays=1)
    # when
    with CaptureQueriesContext(connection) as large:
        assert run_sweep(now=at(5, 10, 5)).overdue == 8

    # then: set-based: the number of statements does not grow with the batch
    assert len(large) == len(small), [q["sql"][:80] for q in large.captured_queries]


# --- 4. two sweeps at the same time ---------------------------------------------------------------

ROUNDS = 5


def race(work: Callable[[], object], n: int = 2) -> list[object]:
    """Run `work` in n threads released together; each result or exception, per thread."""
    barrier = threading.Barrier(n)
    outcomes: list[object] = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            outcomes[i] = work()
        except BaseException as exc:  # recorded, judged by the test
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,), name=f"sweep-{i}") for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
        assert not t.is_alive(), f"{t.name} is stuck"
    return outcomes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_the_same_time_do_nothing_twice(org, clock):
    both_succeeded = 0
    everything_overdue, everything_reminded = [], []
    for round_ in range(ROUNDS):
        # given: fresh items each round: 6 overdue on Thursday, 4 due for the 3-day reminder
        clock.set(at(2, 10, round_))
        overdue = [issue(org, reply_workdays=1, subject=f"第{round_}轮逾期{i}") for i in range(6)]
        clock.set(at(5, 9, round_))
        reminded = [issue(org, reply_workdays=2, subject=f"第{round_}轮临期{i}") for i in range(4)]
        moment = clock.set(at(5, 10, round_))
        everything_overdue += overdue
        everything_reminded += reminded

        # when: two sweeps with the same `now`, small batches so that they interleave
        outcomes = race(lambda moment=moment: run_sweep(now=moment, batch_size=2))

        # then: whatever happened, nothing is half-written and nothing is done twice
        failures = [o for o in outcomes if isinstance(o, BaseException)]
        reminders_done, overdue_done = assert_all_or_nothing(overdue, reminded)
        assert not duplicated_notifications()
        if failures:
            # one may lose (e.g. a deadlock victim); the other must not
            assert len(failures) == 1, failures
        else:
            both_succeeded += 1
            assert [r.ok for r in SweepRun.objects.filter(started_at=moment)] == [True, True]
            # each item was counted by exactly one of the two
            assert sum(o.reminders for o in outcomes) == reminders_done
            assert sum(o.overdue for o in outcomes) == overdue_done
            assert sum(o.proposals for o in outcomes) == overdue_done

        # when: the next sweep
        run_sweep(now=moment + dt.timedelta(minutes=5), batch_size=2)
        # then: everything of every round is done exactly once
        assert_complete(everything_overdue, everything_reminded)

    assert verify_chain().ok
    assert both_succeeded >= 1, "every round had a failed sweep"


# --- 5. the database refusing connections during a sweep ------------------------------------------


class Refusal:
    """An execute wrapper: from a given statement on, every statement fails as if the server had
    gone away. The point is the `occurrence`-th statement containing `marker` (any statement
    when the marker is empty)."""

    def __init__(self, marker: str, occurrence: int):
        self.marker, self.occurrence = marker, occurrence
        self.matched = 0
        self.refused = 0

    def __call__(self, execute, sql, params, many, context):
        if not self.refused and self.marker in sql:
            self.matched += 1
        if self.refused or self.matched >= self.occurrence:
            self.refused += 1
            raise OperationalError("could not connect to server: Connection refused")
        return execute(sql, params, many, context)


# Where the database goes away, for the workload at batches of 3, and what is then done
# (reminded items, overdue items; see DONE_AFTER above). Plain statement numbers land at
# different places on SQLite and PostgreSQL, so for them only "all or nothing" is checked.
REFUSAL_POINTS = {
    "first-statement": ("", 1, (0, 0)),
    "10th-statement": ("", 10, None),
    "25th-statement": ("", 25, None),
    "40th-statement": ("", 40, None),
    "1st-reminder-notifications": ('INSERT INTO "core_notification"', 1, (0, 0)),
    "delivery-after-1st-commit": ('SET "delivered_at"', 1, (3, 0)),
    "2nd-batch-of-3-day-reminders": ('INSERT INTO "core_remindersent"', 4, (3, 0)),
    "1st-overdue-update": ('UPDATE "core_workitem" SET "overdue_at"', 1, (4, 0)),
    "2nd-overdue-update": ('UPDATE "core_workitem" SET "overdue_at"', 2, (4, 3)),
    "2nd-overdue-audit-rows": ('INSERT INTO "core_auditevent"', 2, (4, 3)),
    "audit-chain-head-3rd-batch": ('UPDATE "core_auditchainhead"', 3, (4, 6)),
    # one set-based INSERT of proposals and one of notifications per overdue batch
    "proposals-3rd-batch": ('INSERT INTO "rectification_escalationproposal"', 3, (4, 6)),
    "notifications-4th-batch": ('INSERT INTO "core_notification"', 6, (4, 9)),
    # the 1st UPDATE of core_sweeprun closes abandoned runs; the 2nd records this one
    "recording-the-run": ('UPDATE "core_sweeprun"', 2, (4, 10)),
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("point", sorted(REFUSAL_POINTS))
def test_the_database_going_away_fails_the_task_and_a_retry_completes(
    workload, clock, settings, point
):
    # given: the database stops answering at some point of the sweep task (batches of 3, so
    # that it goes away between committed batches as well as inside one)
    overdue, reminded = workload
    settings.DEADLINE_SWEEP_BATCH = 3
    marker, occurrence, expected = REFUSAL_POINTS[point]
    refusal = Refusal(marker, occurrence)

    # when
    with pytest.raises(OperationalError), connection.execute_wrapper(refusal):
        deadline_sweep_task()
    connection.close()  # the connection is gone; the retry opens a new one

    # then: the task failed (so django-q2 retries it) and nothing is half-written
    assert refusal.refused >= 1
    done = assert_all_or_nothing(overdue, reminded)
    assert expected is None or done == expected
    assert not duplicated_notifications()
    assert not SweepRun.objects.filter(ok=True).exists()

    # when: the retry, with the database back
    clock.set(at(5, 10, 15))
    message = deadline_sweep_task()

    # then
    assert message.startswith("sweep ok")
    assert_complete(overdue, reminded)
    assert verify_chain().ok
    assert SweepRun.objects.filter(ok=True).count() == 1


def test_a_failed_or_killed_sweep_runs_again(settings):
    """A sweep whose worker is killed (SIGKILL, timeout) is not acknowledged: django-q2 delivers
    it again after `retry` seconds, up to `max_attempts`. A sweep that raises is acknowledged as
    failed (ack_failures) and runs again at the next tick of its schedule; both are safe because
    a rerun completes what is left and repeats nothing (the tests above)."""
    # given
    q = settings.Q_CLUSTER
    schedule = {s.name: s for s in declared()}["deadline-sweep"]

    # then
    assert q["retry"] > q["timeout"]
    assert q["max_attempts"] >= 2
    assert q["catch_up"] is False
    assert schedule.func == "workflows.tasks.deadline_sweep_task"
    assert schedule.minutes == settings.DEADLINE_SWEEP_MINUTES


# --- 7. health: deadline_status and the Office's banner (6 is test_notifications_delivery.py) ---


def status() -> str:

    out = StringIO()
    call_command("deadline_status", stdout=out)
    return out.getvalue()


def test_deadline_status_without_any_sweep_is_unhealthy(db):
    # given: no sweep has ever run

    out = StringIO()

    # when / then
    with pytest.raises(CommandError, match="unhealthy"):
        call_command("deadline_status", stdout=out)
    assert "no successful sweep yet" in out.getvalue()


def test_deadline_status_after_a_successful_sweep_is_healthy(org):
    # given
    run_sweep()

    # when
    out = status()

    # then
    assert "deadline engine healthy" in out
    assert "unhealthy" not in out
    assert "backlog / 积压: 0" in out


def test_deadline_status_reports_a_failed_last_run(org, monkeypatch):
    # given: a good sweep, then one that failed
    run_sweep()
    inject_fault(monkeypatch, after_batches=0)
    with pytest.raises(InjectedFault):
        run_sweep()

    # when
    out = status()

    # then: still healthy (the last good sweep is recent) but the failure is shown
    assert "last run failed" in out and "InjectedFault" in out


def test_deadline_status_reports_a_backlog_of_unrecorded_overdue_items(org, clock):
    # given: a good sweep one second before the item fell due (Tuesday 23:59:59), then none
    notice = issue(org, reply_workdays=1)
    run_sweep(now=clock.set(at(3, 23, 59)))

    # when: 12 minutes later, the item is 11 minutes overdue (more than two 5-minute intervals)
    clock.set(at(4, 0, 11))
    with pytest.raises(CommandError, match="unhealthy") as failure:
        status()

    # then: a backlog, not a stale engine (the last sweep is less than three intervals old)
    assert "1 overdue items not yet recorded" in str(failure.value)
    assert "qcluster" not in str(failure.value)
    assert reply_item(notice).overdue_at is None

    # when: the sweep runs again
    run_sweep()
    # then
    assert "deadline engine healthy" in status()


def test_deadline_status_is_stale_after_three_intervals_without_a_sweep(org, clock):
    # given: the last good sweep was 16 minutes ago
    run_sweep(now=at(2, 10))
    clock.set(at(2, 10, 16))

    # when / then
    with pytest.raises(CommandError, match="qcluster"):
        status()


def test_the_status_page_is_for_the_office(org):
    # given
    run_sweep()
    url = reverse("deadline_health")
    office, community = Client(), Client()
    office.force_login(org.user(Role.OFFICE_STAFF))
    community.force_login(org.user(Role.COMMUNITY_STAFF))

    # when
    seen = office.get(url)
    refused = community.get(url)

    # then
    assert seen.status_code == 200
    assert seen.context["health"].healthy
    assert refused.status_code == 403


def office_page(user) -> str:
    client = Client()
    client.force_login(user)
    health.forget()
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response.content.decode()


BANNER = 'data-testid="engine-banner"'


def test_the_office_sees_the_banner_when_the_last_good_sweep_is_old(org):
    # given: the last successful sweep started 16 minutes ago (three intervals are 15), and a
    # failed one since
    now = timezone.now()
    SweepRun.objects.create(started_at=now - dt.timedelta(minutes=16), ok=True)
    SweepRun.objects.create(started_at=now - dt.timedelta(minutes=1), ok=False)

    # when / then
    assert BANNER in office_page(org.user(Role.OFFICE_STAFF))
    assert BANNER in office_page(org.user(Role.ADMIN))


def test_the_office_sees_the_banner_when_no_sweep_has_ever_run(org):
    assert BANNER in office_page(org.user(Role.OFFICE_STAFF))


def test_no_banner_after_a_fresh_sweep(org):
    # given: an old good sweep, then a fresh one
    SweepRun.objects.create(started_at=timezone.now() - dt.timedelta(minutes=30), ok=True)
    run_sweep()

    # when / then
    assert BANNER not in office_page(org.user(Role.OFFICE_STAFF))


@pytest.mark.parametrize(
    "role", [Role.COMMUNITY_STAFF, Role.COMMUNITY_SECRETARY, Role.DEPT_ASSESSOR, Role.LEADER]
)
def test_people_outside_the_office_never_see_the_banner(org, role):
    # given: the engine is stale
    SweepRun.objects.create(started_at=timezone.now() - dt.timedelta(hours=2), ok=True)

    # when / then
    assert BANNER not in office_page(org.user(role))


def test_a_sweep_row_left_unfinished_by_a_killed_worker_is_closed_by_the_next(org, clock):
    # given a run that started long ago and never finished (its worker was killed)
    import datetime as dt

    stuck = SweepRun.objects.create(started_at=at(5, 9) - dt.timedelta(hours=1))
    # when the next sweep runs
    run_sweep(now=at(5, 9))
    # then the stuck row is closed as failed, with the reason
    stuck.refresh_from_db()
    assert stuck.finished_at is not None and not stuck.ok
    assert "abandoned" in stuck.error
