"""An accepted plan for the tracking tests, made without the drafting services (another helper's):
the plan and its items are put into accepted / in_progress directly, each item gets milestones,
their WI_MILESTONE work items are opened as plan_accept will open them, and the plan process is
moved on to carry_out through the steps the drafting services will report (core.steps.done).
Switch `accepted_plan` to the real plan_accept once it exists."""

from __future__ import annotations

import datetime as dt

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from core import steps, workdays, workitems
from core.models import Role, WorkItem
from rectification.models import Milestone, PlanItem, PlanItemState, PlanState, RectificationPlan
from rectification.plans import steps as plan_steps
from rectification.plans.kinds import WI_MILESTONE

from .conftest import make_plan


def _advance(plan, state: str, step: str, user) -> None:
    RectificationPlan.objects.filter(pk=plan.pk).update(state=state)
    plan.refresh_from_db()
    steps.done(subject=plan, step=step, acting_user=user)


def accepted_plan(org, unit=None, *, year: int = 2026, milestones: int = 2, process=True):
    """A plan of `unit` accepted and being carried out: every item in progress with
    `milestones` milestones due 10, 20 … days ahead, each with its open WI_MILESTONE item."""
    plan = make_plan(org, unit, year=year, start=process)
    if process:
        secretary = org.user(Role.COMMUNITY_SECRETARY)
        _advance(plan, PlanState.SUBMITTED, plan_steps.STEP_SUBMITTED, secretary)
        _advance(
            plan, PlanState.REVIEWED, plan_steps.STEP_OFFICE_ACCEPTED, org.user("office_staff")
        )
        _advance(plan, PlanState.ACCEPTED, plan_steps.STEP_ACCEPTED, org.user(Role.LEADER))
    else:
        RectificationPlan.objects.filter(pk=plan.pk).update(state=PlanState.ACCEPTED)
    RectificationPlan.objects.filter(pk=plan.pk).update(accepted_at=timezone.now())
    PlanItem.objects.filter(plan=plan).update(
        state=PlanItemState.IN_PROGRESS,
        goal="记录齐全",
        measures="逐月检查",
        evidence_expected="会议记录扫描件",
    )
    today = workdays.local_date(timezone.now())
    for item in PlanItem.objects.filter(plan=plan):
        for n in range(1, milestones + 1):
            add_milestone(item, n, today + dt.timedelta(days=10 * n))
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
