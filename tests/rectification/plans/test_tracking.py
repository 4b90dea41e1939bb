"""Tracking and close-out services of an accepted plan (Art. 20: 推进表 → 对账销号)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone, translation

from core import workdays, workitems
from core.errors import Conflict
from core.models import AuditEvent, Evidence, Notification, Role, WorkItemState
from rectification.models import (
    Milestone,
    Notice,
    NoticeState,
    PlanItem,
    PlanItemState,
    PlanState,
    ProgressUpdate,
)
from rectification.plans import tracking
from rectification.plans.kinds import WI_EXTENSION, WI_ITEM_VERIFY, WI_MILESTONE
from tests.rectification.conftest import pdf

from .tracking_fixtures import accepted_plan, add_milestone, work_item

IS = PlanItemState


@pytest.fixture(autouse=True)
def _english():
    """Messages are matched in English (the msgids), whatever the catalogue holds."""
    with translation.override("en"):
        yield


def audits(event_type: str) -> int:
    return AuditEvent.objects.filter(event_type=event_type).count()


@pytest.fixture
def plan(org):
    return accepted_plan(org)


@pytest.fixture
def item(plan):
    return plan.items.order_by("position").first()


@pytest.fixture
def community(org):
    return org.user(Role.COMMUNITY_STAFF)


@pytest.fixture
def office(org):
    return org.user(Role.OFFICE_STAFF)


def reach_all(item, user):
    for m in item.milestones.order_by("position"):
        tracking.progress_report(
            item_id=item.pk,
            acting_user=user,
            progress=f"{m.title}完成",
            next_steps="",
            milestone_id=m.pk,
            files=[],
        )


def request_close(item, user):
    reach_all(item, user)
    return tracking.close_request(
        item_id=item.pk, acting_user=user, summary="全部完成", expected_state=IS.IN_PROGRESS
    )


# --- progress ---------------------------------------------------------------------------------


def test_progress_with_a_milestone_reached_closes_its_work_item(item, community):
    m = item.milestones.order_by("position").first()
    update = tracking.progress_report(
        item_id=item.pk,
        acting_user=community,
        progress="已完成第一次检查",
        next_steps="下月复查",
        milestone_id=m.pk,
        files=[pdf()],
    )
    m.refresh_from_db()
    assert m.done_at is not None and m.done_by == community
    assert update.milestone == m
    assert work_item(m, WI_MILESTONE).state == WorkItemState.DONE
    files = Evidence.objects.filter(
        subject_type=ContentType.objects.get_for_model(ProgressUpdate), subject_id=update.pk
    )
    assert [f.original_name for f in files] == ["整改报告.pdf"]
    event = AuditEvent.objects.get(event_type="plan.milestone_reached")
    assert event.after["milestone"] == m.pk and event.after["files"][0]["name"] == "整改报告.pdf"
    assert event.after["late"] is False
    assert audits("plan.progress") == 0


def test_progress_without_milestone(item, community):
    tracking.progress_report(
        item_id=item.pk,
        acting_user=community,
        progress="进展",
        next_steps="",
        milestone_id=None,
        files=[],
    )
    assert audits("plan.progress") == 1
    assert not Milestone.objects.filter(item=item, done_at__isnull=False).exists()


def test_milestone_reached_twice_is_a_conflict_and_changes_nothing(item, community):
    m = item.milestones.first()
    kwargs = {
        "item_id": item.pk,
        "acting_user": community,
        "progress": "进展",
        "next_steps": "",
        "milestone_id": m.pk,
        "files": [],
    }
    tracking.progress_report(**kwargs)
    with pytest.raises(Conflict):
        tracking.progress_report(**kwargs)
    assert ProgressUpdate.objects.filter(item=item).count() == 1
    assert audits("plan.milestone_reached") == 1


def test_progress_bad_input(item, plan, community):
    other_item = plan.items.exclude(pk=item.pk).first()
    foreign = other_item.milestones.first()
    with pytest.raises(ValidationError, match="not one of this item"):
        tracking.progress_report(
            item_id=item.pk,
            acting_user=community,
            progress="进展",
            next_steps="",
            milestone_id=foreign.pk,
            files=[],
        )
    with pytest.raises(ValidationError):
        tracking.progress_report(
            item_id=item.pk,
            acting_user=community,
            progress="  ",
            next_steps="",
            milestone_id=None,
            files=[],
        )
    assert not ProgressUpdate.objects.exists()


def test_progress_access(org, item, office):
    kwargs = {
        "item_id": item.pk,
        "progress": "x",
        "next_steps": "",
        "milestone_id": None,
        "files": [],
    }
    with pytest.raises(PermissionDenied):
        tracking.progress_report(acting_user=office, **kwargs)
    with pytest.raises(PermissionDenied):
        tracking.progress_report(acting_user=org.user(Role.AUDITOR), **kwargs)
    from tests.factories import make_member

    stranger = make_member(org.community2, Role.COMMUNITY_STAFF)
    with pytest.raises(Http404):
        tracking.progress_report(acting_user=stranger, **kwargs)
    assert not ProgressUpdate.objects.exists()


# --- close-out ----------------------------------------------------------------------------------


def test_close_request_needs_every_milestone(item, community):
    with pytest.raises(ValidationError, match="第1阶段、第2阶段"):
        tracking.close_request(
            item_id=item.pk, acting_user=community, summary="完成", expected_state=IS.IN_PROGRESS
        )
    item.refresh_from_db()
    assert item.state == IS.IN_PROGRESS


def test_close_request_opens_the_offices_work_item(org, item, community):
    request_close(item, community)
    item.refresh_from_db()
    assert item.state == IS.AWAITING
    assert item.close_requested_by == community and item.closing_summary == "全部完成"
    wi = work_item(item, WI_ITEM_VERIFY)
    assert wi.state == WorkItemState.OPEN and wi.owner_unit_id == org.office.pk
    assert Notification.objects.filter(
        verb="plan.close_requested", recipient_unit=org.office
    ).exists()


def test_close_request_stale_is_a_conflict(item, community):
    reach_all(item, community)
    with pytest.raises(Conflict):
        tracking.close_request(
            item_id=item.pk, acting_user=community, summary="完成", expected_state=IS.AWAITING
        )
    item.refresh_from_db()
    assert item.state == IS.IN_PROGRESS and audits("plan.close_requested") == 0


def test_verify_closes_the_item(org, item, community, office):
    request_close(item, community)
    tracking.item_verify(item_id=item.pk, acting_user=office, comment="材料齐全")
    item.refresh_from_db()
    assert item.state == IS.CLOSED and item.verified_by == office
    assert item.verify_comment == "材料齐全"
    assert work_item(item, WI_ITEM_VERIFY).state == WorkItemState.DONE
    assert Notification.objects.filter(
        verb="plan.item_closed", recipient_unit=org.community
    ).exists()
    # A double click: the second is a 409 and records nothing.
    with pytest.raises(Conflict):
        tracking.item_verify(item_id=item.pk, acting_user=office, comment="")
    assert audits("plan.item_closed") == 1
    item.plan.refresh_from_db()
    assert item.plan.state == PlanState.ACCEPTED  # other items still open


def test_verify_by_the_community_is_refused(item, community):
    request_close(item, community)
    with pytest.raises(PermissionDenied):
        tracking.item_verify(item_id=item.pk, acting_user=community, comment="")


def test_return_needs_a_reason_then_reopens(org, item, community, office):
    request_close(item, community)
    with pytest.raises(ValidationError, match="required"):
        tracking.item_return(item_id=item.pk, acting_user=office, reason=" ")
    item.refresh_from_db()
    assert item.state == IS.AWAITING
    tracking.item_return(item_id=item.pk, acting_user=office, reason="缺少会议记录")
    item.refresh_from_db()
    assert item.state == IS.IN_PROGRESS and item.return_reason == "缺少会议记录"
    assert work_item(item, WI_ITEM_VERIFY).state == WorkItemState.DONE
    assert Notification.objects.filter(verb="plan.close_returned").exists()
    with pytest.raises(Conflict):
        tracking.item_return(item_id=item.pk, acting_user=office, reason="again")
    # The community can ask again.
    tracking.close_request(
        item_id=item.pk, acting_user=community, summary="补齐", expected_state=IS.IN_PROGRESS
    )
    assert work_item(item, WI_ITEM_VERIFY).state == WorkItemState.OPEN


def test_last_item_verified_completes_the_plan_and_ends_the_process(plan, community, office):
    from viewflow.workflow.status import STATUS

    from workflows.plans import process_of

    process = process_of(plan)
    # The fixture's plan process waits in carry_out (reached through the drafting steps).
    assert process.status != STATUS.DONE
    assert process.task_set.filter(status=STATUS.NEW).count() == 1
    items = list(plan.items.order_by("position"))
    for it in items:
        request_close(it, community)
    for it in items[:-1]:
        tracking.item_verify(item_id=it.pk, acting_user=office, comment="")
    plan.refresh_from_db()
    assert plan.state == PlanState.ACCEPTED
    tracking.item_verify(item_id=items[-1].pk, acting_user=office, comment="")
    plan.refresh_from_db()
    assert plan.state == PlanState.COMPLETED and plan.completed_at is not None
    assert audits("plan.completed") == 1
    process.refresh_from_db()
    assert process.status == STATUS.DONE


# --- milestones: lights, extensions, escalation ---------------------------------------------------


def _late(m: Milestone, days: int = 3) -> Milestone:
    due = workdays.local_date(timezone.now()) - dt.timedelta(days=days)
    Milestone.objects.filter(pk=m.pk).update(
        due_date=due, due_at=workdays.end_of_day(due), planned_date=due
    )
    workitems.reschedule_items(subject=m, kinds=[WI_MILESTONE], due_at=workdays.end_of_day(due))
    m.refresh_from_db()
    return m


def test_a_late_milestone_is_red(item):
    m = _late(item.milestones.first())
    thresholds = workitems.light_thresholds()
    assert workitems.light_of(m.due_at, thresholds) == workitems.Light.RED
    assert workitems.light_of(work_item(m, WI_MILESTONE).due_at, thresholds) == "red"
    assert m.late


def test_extension_granted_moves_the_due_time_and_work_item(org, item, community, office):
    m = item.milestones.first()
    planned = m.planned_date
    wanted = m.due_date + dt.timedelta(days=7)
    ext = tracking.milestone_extension_request(
        milestone_id=m.pk, acting_user=community, requested_date=wanted, reason="汛期"
    )
    assert work_item(m, WI_EXTENSION).owner_unit_id == org.office.pk
    with pytest.raises(Conflict):  # one pending request at a time
        tracking.milestone_extension_request(
            milestone_id=m.pk, acting_user=community, requested_date=wanted, reason="again"
        )
    tracking.milestone_extension_decide(
        extension_id=ext.pk, acting_user=office, grant=True, reason=""
    )
    m.refresh_from_db()
    ext.refresh_from_db()
    assert m.due_date == wanted and m.planned_date == planned
    assert m.due_at == workdays.end_of_day(wanted)
    assert work_item(m, WI_MILESTONE).due_at == workdays.end_of_day(wanted)
    assert work_item(m, WI_EXTENSION).state == WorkItemState.DONE
    assert ext.state == "granted" and ext.granted_date == wanted
    assert Notification.objects.filter(verb="plan.extension_granted").exists()
    with pytest.raises(Conflict):  # decided twice
        tracking.milestone_extension_decide(
            extension_id=ext.pk, acting_user=office, grant=False, reason="no"
        )
    assert audits("plan.extension_granted") == 1 and audits("plan.extension_refused") == 0


def test_extension_bad_input(item, community, office):
    m = item.milestones.first()
    with pytest.raises(ValidationError, match="later"):
        tracking.milestone_extension_request(
            milestone_id=m.pk, acting_user=community, requested_date=m.due_date, reason="x"
        )
    with pytest.raises(ValidationError):
        tracking.milestone_extension_request(
            milestone_id=m.pk,
            acting_user=community,
            requested_date=m.due_date + dt.timedelta(days=1),
            reason="",
        )
    ext = tracking.milestone_extension_request(
        milestone_id=m.pk,
        acting_user=community,
        requested_date=m.due_date + dt.timedelta(days=3),
        reason="原因",
    )
    with pytest.raises(ValidationError):  # a refusal gives its reason
        tracking.milestone_extension_decide(
            extension_id=ext.pk, acting_user=office, grant=False, reason=""
        )
    with pytest.raises(PermissionDenied):
        tracking.milestone_extension_decide(
            extension_id=ext.pk, acting_user=community, grant=True, reason=""
        )
    tracking.milestone_extension_decide(
        extension_id=ext.pk, acting_user=office, grant=False, reason="无正当理由"
    )
    ext.refresh_from_db()
    m.refresh_from_db()
    assert ext.state == "refused" and m.due_date == ext.current_due_date


def test_escalation_creates_one_draft_notice(org, item, office):
    m = _late(item.milestones.first())
    notice = tracking.milestone_escalate(
        milestone_id=m.pk, acting_user=office, expected_due_date=m.due_date
    )
    m.refresh_from_db()
    assert m.notice == notice
    assert notice.state == NoticeState.DRAFT and notice.target_id == org.community.pk
    assert notice.issuing_unit_id == org.office.pk and notice.basis == "细则第二十条"
    assert m.title in notice.subject and item.problem in notice.problem
    with pytest.raises(Conflict):
        tracking.milestone_escalate(
            milestone_id=m.pk, acting_user=office, expected_due_date=m.due_date
        )
    assert Notice.objects.count() == 1 and audits("plan.milestone_escalated") == 1


def test_escalation_only_of_a_missed_milestone(item, office, community):
    m = item.milestones.first()
    with pytest.raises(Conflict, match="missed"):
        tracking.milestone_escalate(
            milestone_id=m.pk, acting_user=office, expected_due_date=m.due_date
        )
    m = _late(m)
    with pytest.raises(Conflict):  # the page showed another date
        tracking.milestone_escalate(
            milestone_id=m.pk,
            acting_user=office,
            expected_due_date=m.due_date + dt.timedelta(days=1),
        )
    with pytest.raises(PermissionDenied):
        tracking.milestone_escalate(
            milestone_id=m.pk, acting_user=community, expected_due_date=m.due_date
        )
    assert not Notice.objects.exists()


# --- repeated problems --------------------------------------------------------------------------


def test_link_repeated(org, plan, office):
    earlier_plan = accepted_plan(org, year=2025, process=False, milestones=0)
    earlier = earlier_plan.items.first()
    item = plan.items.order_by("position").first()
    PlanItem.objects.filter(plan=plan).update(repeated_from=None)
    tracking.item_link_repeated(item_id=item.pk, acting_user=office, earlier_item_id=earlier.pk)
    item.refresh_from_db()
    assert item.repeated_from == earlier and audits("plan.item_linked") == 1
    # Saved unchanged: nothing recorded.
    tracking.item_link_repeated(item_id=item.pk, acting_user=office, earlier_item_id=earlier.pk)
    assert audits("plan.item_linked") == 1
    # Stale page: it showed no link.
    with pytest.raises(Conflict):
        tracking.item_link_repeated(
            item_id=item.pk, acting_user=office, earlier_item_id=None, expected_repeats=None
        )
    tracking.item_link_repeated(item_id=item.pk, acting_user=office, earlier_item_id=None)
    item.refresh_from_db()
    assert item.repeated_from is None and audits("plan.item_unlinked") == 1


def test_link_repeated_bad_input(org, plan, office):
    item, same_year = list(plan.items.order_by("position"))[:2]
    other = accepted_plan(org, org.community2, year=2025, process=False, milestones=0)
    for target in (same_year.pk, other.items.first().pk, 10**8):
        with pytest.raises(ValidationError, match="earlier year"):
            tracking.item_link_repeated(item_id=item.pk, acting_user=office, earlier_item_id=target)
    with pytest.raises(PermissionDenied):
        tracking.item_link_repeated(
            item_id=item.pk, acting_user=org.user(Role.COMMUNITY_STAFF), earlier_item_id=None
        )


def test_a_milestone_added_late_can_be_reached(item, community):
    m = add_milestone(item, 9, workdays.local_date(timezone.now()) - dt.timedelta(days=1))
    tracking.progress_report(
        item_id=item.pk,
        acting_user=community,
        progress="迟到的完成",
        next_steps="",
        milestone_id=m.pk,
        files=[],
    )
    assert AuditEvent.objects.get(event_type="plan.milestone_reached").after["late"] is True
