"""The figures of the drill-down as sheets of the results workbook (scoring.md §7), so that an
auditor can recompute every total from the file alone: each indicator with its scores, cap and
counted score; each category's sums; every adjustment; every bonus claim; both votes with the
satisfaction computation; the comprehensive adjustment and vetoes; every fraud finding."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _

from ..models import Score
from .compute import Computed
from .rows import (
    RankingRow,
    claim_label,
    claim_reason_label,
    level_label,
    local_time,
    source_label,
    yes,
)


def _units(rows: Iterable[RankingRow]):
    return [row.unit for row in sorted(rows, key=lambda r: r.code)]


def sheets(
    computed: Computed, rows: list[RankingRow], *, claim_titles: bool, fraud_reasons: bool
) -> list[tuple[str, list[str], list[list]]]:
    """(sheet name, headers, rows) for each sheet of the recomputation."""
    units = _units(rows)
    settings = computed.results.settings
    # The lead departments' own figures per cell (scoring.md §1: the verified value replaces
    # the department's score when present).
    given = {
        (code, ind): (dept, verified, comment)
        for code, ind, dept, verified, comment in Score.objects.filter(
            year=computed.year, unit__in=[computed.units[u.unit_id].unit_id for u in units]
        ).values_list(
            "unit_id",
            "indicator__code",
            "department_score",
            "verified_score",
            "comment",
        )
    }
    codes = {u.unit_id: computed.units[u.unit_id].unit_id for u in units}

    indicators, categories, adjustments, claims, votes, comprehensive, fraud = (
        [] for _n in range(7)
    )
    for unit in units:
        head = [unit.unit_id, unit.name]
        for cat in unit.categories:
            for ind in cat.indicators:
                dept, verified, comment = given.get((codes[unit.unit_id], ind.code), (None,) * 3)
                indicators.append(
                    [
                        *head,
                        cat.name or cat.code,
                        ind.code,
                        ind.name,
                        ind.max_points,
                        dept,
                        verified,
                        source_label(ind.source),
                        ind.raw_score,
                        ind.required_reports,
                        ind.on_time_reports,
                        ind.required_reports - ind.on_time_reports,
                        ind.cap,
                        ind.score,
                        comment or "",
                    ]
                )
            for adj in cat.adjustments:
                adjustments.append(
                    [
                        *head,
                        cat.name or cat.code,
                        adj.points,
                        adj.reason,
                        adj.source,
                        adj.date.strftime("%Y-%m-%d") if adj.date else "",
                    ]
                )
            if cat.fraud is not None:
                fraud.append(
                    [*head, cat.name or cat.code, cat.fraud.reason if fraud_reasons else ""]
                )
            categories.append(
                [
                    *head,
                    cat.name or cat.code,
                    cat.max_points,
                    cat.indicator_sum,
                    cat.adjustment_sum,
                    yes(cat.fraud is not None),
                    cat.score,
                ]
            )
        for claim, counted in [(c, True) for c in unit.claims_counted] + [
            (c, False) for c in unit.claims_not_counted
        ]:
            claims.append(
                [
                    *head,
                    claim_label(computed, claim, titles=claim_titles),
                    level_label(claim.claim.level),
                    claim.points,
                    _("Yes") if counted else _("No"),
                    local_time(claim.claim.declared_at),
                    local_time(claim.claim.deadline),
                    local_time(claim.claim.publicity_ends_at),
                    "；".join(claim_reason_label(r) for r in claim.reasons),
                ]
            )
        for label, vote, weight in [
            (_("Debriefing appraisal"), unit.debriefing, settings.debriefing_weight),
            (_("Democratic evaluation"), unit.democratic, settings.democratic_weight),
        ]:
            votes.append(
                [
                    *head,
                    label,
                    vote.votes.satisfied,
                    vote.votes.basically,
                    vote.votes.dissatisfied,
                    vote.ballots,
                    settings.vote_satisfied,
                    settings.vote_basically,
                    settings.vote_dissatisfied,
                    vote.score,
                    weight,
                    unit.satisfaction,
                ]
            )
    for row in sorted(rows, key=lambda r: r.code):
        unit = row.unit
        comprehensive.append(
            [
                unit.unit_id,
                unit.name,
                unit.claim_points,
                unit.bonus,
                unit.performance,
                unit.satisfaction,
                unit.total,
                unit.rank,
                unit.bottom_position,
                row.comprehensive,
                unit.comprehensive_adjustment,
                row.adjusted,
                row.grade_before_veto,
                row.grade,
                yes(unit.flags.penalised),
                yes(unit.flags.veto_applied),
                yes(unit.flags.advanced_withdrawn),
                yes(unit.flags.secretary_not_eligible),
            ]
        )
    unit_head = [_("Unit code"), _("Unit")]
    return [
        (
            _("Indicator scores"),
            [
                *unit_head,
                _("Category"),
                _("Indicator code"),
                _("Indicator"),
                _("Maximum"),
                _("Department score"),
                _("Joint-team verified score"),
                _("Scored by"),
                _("Score given"),
                _("Required reports"),
                _("Reports counted (on time)"),
                _("Reports excluded"),
                _("Cap"),
                _("Score counted"),
                _("Opinion of the lead department"),
            ],
            indicators,
        ),
        (
            _("Category scores"),
            [
                *unit_head,
                _("Category"),
                _("Maximum"),
                _("Sum of indicator scores"),
                _("Sum of additions and deductions"),
                _("Fraud finding upheld"),
                _("Category score"),
            ],
            categories,
        ),
        (
            _("Adjustments"),
            [*unit_head, _("Category"), _("Points"), _("Reason"), _("Source"), _("Date")],
            adjustments,
        ),
        (
            _("Bonus claims"),
            [
                *unit_head,
                _("Claim"),
                _("Level"),
                _("Points"),
                _("Counted?"),
                _("Declared"),
                _("Declaration deadline"),
                _("Publicity ends"),
                _("Reason not counted"),
            ],
            claims,
        ),
        (
            _("Votes"),
            [
                *unit_head,
                _("Vote"),
                _("Satisfied"),
                _("Basically satisfied"),
                _("Dissatisfied"),
                _("Ballots"),
                _("Value of satisfied"),
                _("Value of basically satisfied"),
                _("Value of dissatisfied"),
                _("Score"),
                _("Weight in satisfaction"),
                _("Satisfaction"),
            ],
            votes,
        ),
        (
            _("Comprehensive"),
            [
                *unit_head,
                _("Counted claim points"),
                _("Bonus"),
                _("Performance"),
                _("Satisfaction"),
                _("Total"),
                _("Rank"),
                _("Bottom position"),
                _("Comprehensive evaluation"),
                _("Comprehensive adjustment"),
                _("Adjusted comprehensive"),
                _("Grade before the veto"),
                _("Grade"),
                _("Excellence veto (否优)"),
                _("Grade lowered (降档)"),
                _("Advanced withdrawn"),
                _("Secretary not eligible for excellent"),
            ],
            comprehensive,
        ),
        (
            _("Fraud findings"),
            [*unit_head, _("Category"), _("Reason")],
            fraud,
        ),
    ]
