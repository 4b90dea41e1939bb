"""Next year's rectification plan of one community as a viewflow process (Art. 20): the artifact
is the plan (rectification.RectificationPlan).

    start ─▶ draft (the community; its secretary submits) ─▶ review (the Office)
          ─┬▶ accept (the Leading Group) ─┬▶ carry out (until every item is closed out) ─▶ end
           │                               └▶ back to draft, with the reason
           └▶ back to draft, with a comment per item to rework

Each human step is a workflows.nodes.Step: the task sits in the owner's 待办 with its due time,
light, reminders and overdue event. rectification's services decide and write, then report the
step done (core.steps); workflows.plans moves the process on. Once accepted, the items'
milestones are work items of their own (rectification.plans.tracking); the process waits in
`carry_out` until the last item is closed (销号).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow import this
from viewflow.workflow import lock
from viewflow.workflow.base import Flow
from viewflow.workflow.nodes import End, Handle, If, StartHandle

from core import workdays
from core.models import Unit, UnitKind

from ..kinds import WI_PLAN_ACCEPT, WI_PLAN_DRAFT, WI_PLAN_REVIEW
from ..models import PlanProcess
from ..nodes import Opened, Step

# The Office's review and the Leading Group's acceptance, and a draft reopened after a return
# (or past its due time), get this many working days from the moment they open.
STEP_WORKDAYS = 5


def _plan(activation):
    from rectification.models import RectificationPlan

    return RectificationPlan.objects.select_related("unit").get(
        pk=activation.process.artifact_object_id
    )


def _in_workdays(days: int) -> datetime:
    last, _approx = workdays.add_workdays_or_weekdays(workdays.local_date(timezone.now()), days)
    return workdays.end_of_day(last)


def _unit_of(plan, kind: str) -> int:
    return Unit.objects.filter(sub_district_id=plan.sub_district_id, kind=kind).values_list(
        "pk", flat=True
    )[0]


class PlanFlow(Flow):
    process_class = PlanProcess
    lock_impl = lock.select_for_update_lock
    process_title = "整改方案"  # viewflow's own label; our pages name the process themselves

    start = StartHandle(this.begin).Next(this.draft)
    draft = Step(kind=WI_PLAN_DRAFT, opener=this.open_draft).Next(this.review)
    review = Step(kind=WI_PLAN_REVIEW, opener=this.open_review).Next(this.reviewed)
    reviewed = If(this.office_passed).Then(this.accept).Else(this.draft)
    accept = Step(kind=WI_PLAN_ACCEPT, opener=this.open_accept).Next(this.decided)
    decided = If(this.leading_group_accepted).Then(this.carry_out).Else(this.draft)
    carry_out = Handle().Next(this.end)
    end = End()

    def begin(self, activation, *, plan, acting_user=None):
        """Called by workflows.plans.plans_start inside the publication's transaction."""
        process = activation.process
        process.artifact = plan
        process.data = {"office": None, "decision": None, "rounds": 0}
        if acting_user is not None:
            activation.task.owner = acting_user
        return process

    # --- the community drafts ------------------------------------------------------------------

    def open_draft(self, activation) -> Opened:
        from rectification.plans.drafting import plan_draft_open

        data = activation.process.data
        data["rounds"] = data.get("rounds", 0) + 1
        returned = data["rounds"] > 1
        activation.process.save(update_fields=["data"])
        plan = _plan(activation)
        due = plan.due_at
        if returned or due <= timezone.now() + timedelta(days=1):
            due = _in_workdays(STEP_WORKDAYS)
        plan = plan_draft_open(plan_id=plan.pk, due_at=due, round=data["rounds"])
        activation.task.data = {**(activation.task.data or {}), "returned": returned}
        return Opened(
            subject=plan,
            owner_unit_id=plan.unit_id,
            sub_district_id=plan.sub_district_id,
            title=_("Rectification plan for the problems of %(year)s") % {"year": plan.year},
            due_at=plan.due_at,
        )

    # --- the Office reviews, the Leading Group accepts (Art. 20) --------------------------------

    def open_review(self, activation) -> Opened:
        plan = _plan(activation)
        activation.process.data["office"] = None
        activation.process.save(update_fields=["data"])
        return Opened(
            subject=plan,
            owner_unit_id=_unit_of(plan, UnitKind.OFFICE),
            sub_district_id=plan.sub_district_id,
            title=_("Review the rectification plan of %(unit)s (%(year)s)")
            % {"unit": plan.unit.short_name or plan.unit.name, "year": plan.year},
            due_at=_in_workdays(STEP_WORKDAYS),
        )

    def office_passed(self, activation) -> bool:
        return activation.process.data.get("office") == "accepted"

    def open_accept(self, activation) -> Opened:
        plan = _plan(activation)
        activation.process.data["decision"] = None
        activation.process.save(update_fields=["data"])
        return Opened(
            subject=plan,
            owner_unit_id=_unit_of(plan, UnitKind.LEADING_GROUP),
            sub_district_id=plan.sub_district_id,
            title=_("Accept the rectification plan of %(unit)s (%(year)s)")
            % {"unit": plan.unit.short_name or plan.unit.name, "year": plan.year},
            due_at=_in_workdays(STEP_WORKDAYS),
        )

    def leading_group_accepted(self, activation) -> bool:
        return activation.process.data.get("decision") == "accepted"
