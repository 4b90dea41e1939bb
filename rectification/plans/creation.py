"""A community's plan made from the problems fed back to it (Art. 16, 20). Called by the
orchestration (workflows.plans) when a year is published: the caller reads the feedback letter's
problems from appraisal and passes them as plain values, so this app imports nothing of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Max

from core.audit import audit_record

from ..models import PlanItem, PlanItemOrigin, PlanItemSource, PlanItemState, RectificationPlan

# A carried item (not closed in the previous plan) names the item it carries on.
CARRIED_REF = "rectification.planitem:"


@dataclass(frozen=True)
class ProblemInput:
    """One numbered problem of the feedback letter, with where it was found."""

    source_kind: str  # PlanItemSource
    problem: str
    source_ref: str = ""
    source_url: str = ""
    category_code: str = ""
    category_name: str = ""
    indicator_code: str = ""
    indicator_name: str = ""
    department_id: int | None = None


def carried_ref(item_id: int) -> str:
    return f"{CARRIED_REF}{item_id}"


def _earlier_items(unit_id: int, year: int, problems: list[ProblemInput]) -> dict:
    """The latest earlier item of the unit per (category, indicator), and the carried items by
    id (one query): a problem found again links to it (重复问题)."""
    keys = {(p.category_code, p.indicator_code) for p in problems if p.indicator_code}
    carried = {
        int(p.source_ref.removeprefix(CARRIED_REF))
        for p in problems
        if p.source_kind == PlanItemSource.CARRIED and p.source_ref.startswith(CARRIED_REF)
    }
    if not keys and not carried:
        return {}
    rows = (
        PlanItem.objects.filter(plan__unit_id=unit_id, plan__year__lt=year)
        .order_by("plan__year", "position")
        .values_list("pk", "category_code", "indicator_code")
    )
    found: dict = {}
    for pk, category, indicator in rows:
        if (category, indicator) in keys:
            found[(category, indicator)] = pk
        if pk in carried:
            found[pk] = pk
    return found


def _repeats(problem: ProblemInput, earlier: dict) -> int | None:
    if problem.source_kind == PlanItemSource.CARRIED and problem.source_ref.startswith(CARRIED_REF):
        return earlier.get(int(problem.source_ref.removeprefix(CARRIED_REF)))
    if problem.indicator_code:
        return earlier.get((problem.category_code, problem.indicator_code))
    return None


@transaction.atomic
def plan_create(
    *,
    sub_district_id: int,
    unit_id: int,
    year: int,
    source: str,
    letter_url: str,
    due_at: datetime,
    problems: list[ProblemInput],
    job: str = "",
    acting_user=None,
) -> RectificationPlan:
    """The community's plan for `year`, one item per fed-back problem in the letter's order
    (Art. 20); a problem found again links to the earlier year's item. A plan that exists
    already is returned as it is (publication run twice creates nothing twice)."""
    existing = RectificationPlan.objects.filter(unit_id=unit_id, year=year).first()
    if existing is not None:
        return existing
    plan = RectificationPlan.objects.create(
        sub_district_id=sub_district_id,
        unit_id=unit_id,
        year=year,
        source=source,
        letter_url=letter_url,
        due_at=due_at,
    )
    earlier = _earlier_items(unit_id, year, problems)
    PlanItem.objects.bulk_create(
        PlanItem(
            plan=plan,
            position=n,
            origin=PlanItemOrigin.FEEDBACK,
            source_kind=p.source_kind,
            source_ref=p.source_ref[:160],
            source_url=p.source_url[:300],
            category_code=p.category_code,
            category_name=p.category_name[:200],
            indicator_code=p.indicator_code,
            indicator_name=p.indicator_name[:300],
            department_id=p.department_id,
            problem=p.problem,
            state=PlanItemState.DRAFT,
            repeated_from_id=_repeats(p, earlier),
        )
        for n, p in enumerate(problems, start=1)
    )
    audit_record(
        event_type="plan.created",
        actor=acting_user,
        job=job,
        subject=plan,
        sub_district=sub_district_id,
        after={
            "year": year,
            "source": source,
            "items": len(problems),
            "due_at": due_at.isoformat(),
        },
    )
    return plan


def next_position(plan: RectificationPlan) -> int:
    return (plan.items.aggregate(m=Max("position"))["m"] or 0) + 1
