"""The plan process's orchestration (Art. 20): start a plan per community when a year is
published, and move each plan's process on when rectification says a step is done
(core.steps). rectification decides and writes; these only drive the viewflow process."""

from __future__ import annotations

from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from viewflow.workflow.status import STATUS

from core import notifications, workdays
from core.errors import Conflict

from .flows.plan import PlanFlow
from .models import PlanProcess

# A plan is due this many working days after publication, unless the year-end process's
# settings name a date (process data due["plan"]).
PLAN_DUE_WORKDAYS = 20


def plan_due(process_data: dict | None, now: datetime) -> datetime:
    """When the plans are due: the year-end process's setting, or PLAN_DUE_WORKDAYS working
    days after publication."""
    due = ((process_data or {}).get("due") or {}).get("plan")
    if due:
        moment = datetime.fromisoformat(due)
        if moment > now:
            return moment
    last, _approx = workdays.add_workdays_or_weekdays(workdays.local_date(now), PLAN_DUE_WORKDAYS)
    return workdays.end_of_day(last)


def _source_url(year, problem) -> str:
    """The page where the problem was found (the department's scoring, the team's
    verification, the reports, the fraud findings)."""
    number = year.year
    if problem.kind == "opinion":
        return reverse("appraisal:scoring", args=[number, problem.category])
    if problem.kind == "team":
        return reverse("appraisal:verification", args=[number, problem.category])
    if problem.kind == "report":
        return reverse("appraisal:reports", args=[number])
    if problem.kind == "fraud":
        return reverse("appraisal:fraud_list", args=[number])
    if problem.kind == "carried":
        return reverse("plan_item", args=[int(problem.ref)])
    return ""


def _source_ref(year, problem) -> str:
    """A stable reference: where in the year it was found, or (a previous plan's item not
    closed, Art. 20) the item it carries on, which the new item then repeats."""
    from rectification.plans.creation import carried_ref

    if problem.kind == "carried":
        return carried_ref(int(problem.ref))
    return ":".join(
        [
            "appraisal.year",
            str(year.pk),
            problem.kind,
            problem.category,
            problem.indicator,
            problem.ref,
        ]
    )


def year_problems(year) -> dict[int, tuple[str, list]]:
    """Every assessed community's fed-back problems, as rectification's plain inputs, by unit
    id with its code (the published letters' lists: appraisal.documents.letters.problems)."""
    from appraisal.documents.facts import year_facts
    from appraisal.documents.letters import problems
    from rectification.plans.creation import ProblemInput

    facts = year_facts(year, draft=False)
    leads = dict(year.categories.values_list("code", "lead_unit_id"))
    out: dict[int, list] = {}
    for unit in facts.computed.results.units:
        assessed = facts.units.get(unit.unit_id)
        if assessed is None:
            continue
        names = {c.code: c.name for c in unit.categories}
        indicators = {i.code: i.name for c in unit.categories for i in c.indicators}
        inputs = []
        for p in problems(facts, unit):
            inputs.append(
                ProblemInput(
                    source_kind=p.kind,
                    problem=p.text,
                    source_ref=_source_ref(year, p),
                    source_url=_source_url(year, p),
                    category_code=p.category,
                    category_name=names.get(p.category, ""),
                    indicator_code=p.indicator,
                    indicator_name=indicators.get(p.indicator, ""),
                    department_id=leads.get(p.category),
                )
            )
        out[assessed.unit_id] = (unit.unit_id, inputs)
    return out


def plans_start(*, year, acting_user, year_end_data: dict | None = None) -> int:
    """One plan per assessed community with its fed-back problems, each in its own plan
    process (the draft step lands in the community's 待办), in the publication's transaction.
    Returns the number of plans started."""
    from django.utils import timezone
    from django.utils.translation import gettext as _

    from rectification.plans.creation import plan_create

    now = timezone.now()
    due = plan_due(year_end_data, now)
    started = 0
    for unit_id, (code, inputs) in year_problems(year).items():
        plan = plan_create(
            sub_district_id=year.sub_district_id,
            unit_id=unit_id,
            year=year.year,
            source=f"appraisal.year:{year.pk}",
            letter_url=reverse("yearend_document", args=[year.year, f"{code}.pdf"]),
            due_at=due,
            problems=inputs,
            acting_user=acting_user,
        )
        if process_of(plan) is not None:
            continue
        PlanFlow.start.run(plan=plan, acting_user=acting_user)
        notifications.notify(
            sub_district_id=year.sub_district_id,
            unit_id=unit_id,
            verb="plan.created",
            title=_("Draft next year's rectification plan for the problems of %(year)s")
            % {"year": year.year},
            url=plan.get_absolute_url(),
            subject=plan,
        )
        started += 1
    return started


def process_of(plan) -> PlanProcess | None:
    return (
        PlanProcess.objects.filter(
            artifact_content_type=ContentType.objects.get_for_model(plan),
            artifact_object_id=plan.pk,
        )
        .order_by("-pk")
        .first()
    )


def _update_for(step: str) -> dict | None:
    from rectification.plans import steps as plan_steps

    return {
        plan_steps.STEP_OFFICE_ACCEPTED: {"office": "accepted"},
        plan_steps.STEP_OFFICE_RETURNED: {"office": "returned"},
        plan_steps.STEP_ACCEPTED: {"decision": "accepted"},
        plan_steps.STEP_LG_RETURNED: {"decision": "returned"},
    }.get(step)


def _carry_out_done(plan) -> None:
    """The last item is closed out: the process's waiting task finishes and the process ends."""
    process = process_of(plan)
    if process is None:
        return
    with PlanFlow.lock(process.pk):
        task = process.task_set.filter(flow_task=PlanFlow.carry_out, status=STATUS.NEW).first()
        if task is None:
            raise Conflict("The plan is not being carried out. Nothing was done.")
        activation = task.flow_task.activation_class(task)
        activation.run(None)
        activation.execute()


def on_step_done(*, subject, step: str, acting_user, **data) -> None:
    """core.steps listener for the plan's steps (rectification.plans.steps)."""
    from rectification.plans import steps as plan_steps

    from .yearend import _complete, _open_task_of

    if step not in plan_steps.ALL:
        return
    if step == plan_steps.STEP_COMPLETED:
        _carry_out_done(subject)
        return
    task = _open_task_of(subject)
    if task is None:
        return
    _complete(task, acting_user, _update_for(step))


def register() -> None:
    from core import steps

    steps.connect(on_step_done)
