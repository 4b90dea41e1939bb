"""Reads of the communities' self-evaluation (Art. 15): the self-scores the joint team sees beside
the department's scores (Art. 14), and the year's overview of every community's state."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import OuterRef, Subquery

from ..models import AssessedUnit, SelfEvaluation, SelfEvaluationState, SelfScore


@dataclass(frozen=True)
class SelfScoreView:
    score: Decimal | None
    note: str
    late: bool  # Art. 12: submitted after its due time (accepted, marked)


def _latest_submitted(year_id: int):
    return Subquery(
        SelfEvaluation.objects.filter(
            year_id=year_id,
            unit_id=OuterRef("selfeval__unit_id"),
            state=SelfEvaluationState.SUBMITTED,
        )
        .order_by("-round")
        .values("pk")[:1]
    )


def self_scores(*, year_id: int, category_id: int) -> dict[tuple[int, int], SelfScoreView]:
    """(core unit id, indicator id) → the self-score of the latest submitted round of each
    community, for the indicators of one category; a community that submitted nothing has no
    entries. One query whatever the number of communities."""
    rows = (
        SelfScore.objects.filter(
            selfeval__year_id=year_id,
            selfeval__state=SelfEvaluationState.SUBMITTED,
            indicator__category_id=category_id,
        )
        .filter(selfeval_id=_latest_submitted(year_id))
        .values_list("selfeval__unit_id", "indicator_id", "score", "note", "selfeval__late")
    )
    return {
        (unit_id, indicator_id): SelfScoreView(score, note, late)
        for unit_id, indicator_id, score, note, late in rows
    }


@dataclass(frozen=True)
class OverviewRow:
    unit: AssessedUnit
    selfeval: SelfEvaluation | None  # the latest round; None before the step opened


def selfeval_overview(*, year) -> list[OverviewRow]:
    """Every assessed community with its latest round (state, due, submitted, late): two
    queries."""
    latest: dict[int, SelfEvaluation] = {}
    for row in SelfEvaluation.objects.filter(year=year).select_related("submitted_by"):
        if row.unit_id not in latest or row.round > latest[row.unit_id].round:
            latest[row.unit_id] = row
    return [
        OverviewRow(unit=u, selfeval=latest.get(u.unit_id))
        for u in AssessedUnit.objects.filter(year=year).order_by("code")
    ]


def latest_submitted(*, year_id: int, unit_id: int) -> SelfEvaluation | None:
    """The unit's latest submitted round (what the joint team verified), for the drill-down."""
    return (
        SelfEvaluation.objects.filter(
            year_id=year_id, unit_id=unit_id, state=SelfEvaluationState.SUBMITTED
        )
        .select_related("unit")
        .order_by("-round")
        .first()
    )
