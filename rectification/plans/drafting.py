"""Drafting, review and acceptance of a rectification plan (Art. 20): the plan process's human
steps (workflows.flows.plan). The community drafts (per item: goal, measures, milestones,
responsible person, evidence expected; items of its own), its secretary submits; the Office
passes the plan on or returns it with a comment per item; the Leading Group accepts it or
returns it. Each step finished reports itself to the orchestration (core.steps)."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from ..models import RectificationPlan

# --- opening (called by the orchestration) ------------------------------------------------------


@transaction.atomic
def plan_draft_open(*, plan_id: int, due_at: datetime, round: int) -> RectificationPlan:
    """The draft step opens (first, or again after a return): its due time and round."""
    plan = RectificationPlan.objects.select_for_update().get(pk=plan_id)
    plan.due_at = due_at
    plan.round = round
    plan.save(update_fields=["due_at", "round", "updated_at"])
    return plan
