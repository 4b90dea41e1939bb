"""An accepted plan for the tracking tests: drafted, submitted, passed and accepted through the
real services (rectification.plans.drafting), so the milestones' work items are opened by
plan_accept and the plan process waits in carry_out. An earlier year's plan without milestones
(milestones=0: a plan from before, only to link repeated problems to) is put into its state
directly. `add_milestone` makes a milestone the drafting form would refuse (one already past
due) for the tests of missed milestones."""

from __future__ import annotations

import datetime as dt

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from core import workdays, workitems
from core.models import Role, WorkItem
from rectification.models import Milestone, PlanItem, PlanItemState, PlanState, RectificationPlan
from rectification.plans import drafting
from rectification.plans.kinds import WI_MILESTONE
from tests.factories import make_member

from .conftest import make_plan


def accepted_plan(org, unit=None, *, year: int = 2026, milestones: int = 2, process=True):
    """A plan of `unit` accepted and being carried out: every item in progress with
    `milestones` milestones due 10, 20 … days ahead, each with its open WI_MILESTONE item."""
    plan = make_plan(org, unit, year=year, start=process)
    if not milestones:
        RectificationPlan.objects.filter(pk=plan.pk).update(
            state=PlanState.ACCEPTED, accepted_at=timezone.now()
        )
        PlanItem.objects.filter(plan=plan).update(
            state=PlanItemState.IN_PROGRESS, goal="记录齐全", measures="逐月检查"
        )
        plan.refresh_from_db()
        return plan
    unit = unit or org.community
    secretary = (
        org.user(Role.COMMUNITY_SECRETARY)
        if unit == org.community
        else make_member(unit, Role.COMMUNITY_SECRETARY)
    )
    today = workdays.local_date(timezone.now())
    for item in PlanItem.objects.filter(plan=plan).order_by("position"):
        drafting.plan_item_save(
            item_id=item.pk,
            acting_user=secretary,
            goal="记录齐全",
            measures="逐月检查",
            evidence_expected="会议记录扫描件",
            responsible_id=secretary.pk,
            milestones=[
                (f"第{n}阶段", today + dt.timedelta(days=10 * n)) for n in range(1, milestones + 1)
            ],
            expected_updated=None,
        )
    drafting.plan_submit(plan_id=plan.pk, acting_user=secretary, expected_round=None)
    drafting.plan_review(
        plan_id=plan.pk,
        acting_user=org.user(Role.OFFICE_STAFF),
        decision="accept",
        comments={},
        reason="",
    )
    drafting.plan_accept(
        plan_id=plan.pk, acting_user=org.user(Role.LEADER), decision="accept", reason=""
    )
    plan.refresh_from_db()
    return plan


def add_milestone(item, position: int, due: dt.date, title: str | None = None) -> Milestone:
    m = Milestone.objects.create(
        item=item,
        position=position,
        title=title or f"第{position}阶段",
        due_date=due,
        due_at=workdays.end_of_day(due),
        planned_date=due,
    )
    workitems.open_item(
        kind=WI_MILESTONE,
        subject=m,
        owner_unit_id=item.plan.unit_id,
        sub_district_id=item.plan.sub_district_id,
        title=m.title,
        url=m.get_absolute_url(),
        due_at=m.due_at,
    )
    return m


def work_item(subject, kind: str) -> WorkItem | None:
    return (
        WorkItem.objects.filter(
            subject_type=ContentType.objects.get_for_model(subject),
            subject_id=subject.pk,
            kind=kind,
        )
        .order_by("-pk")
        .first()
    )
