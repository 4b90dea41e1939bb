"""The results as rows (scoring.md §7): the ranking page and its Excel export (files.results)
print the same figures from the same helpers, so that an auditor can recompute the page from the
file.

Nothing here reads the database: everything comes from `results.compute()` and the year's
settings (`files.bundle.export_settings`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.utils.translation import gettext as _

from .. import domain
from ..files.bundle import export_settings
from ..models import AssessmentYear, BonusLevel
from .compute import SHANGHAI, Computed


@dataclass(frozen=True)
class RankingRow:
    """One unit's line of the ranking."""

    unit: domain.UnitResult
    comprehensive_given: bool  # without a comprehensive entry there is no adjusted score or grade
    exclusions: int  # reports not counted + bonus claims not counted

    @property
    def code(self) -> str:
        return self.unit.unit_id

    @property
    def comprehensive(self) -> Decimal | None:
        return self.unit.comprehensive if self.comprehensive_given else None

    @property
    def adjusted(self) -> Decimal | None:
        return self.unit.adjusted if self.comprehensive_given else None

    @property
    def grade(self) -> str | None:
        return self.unit.grade if self.comprehensive_given else None

    @property
    def grade_before_veto(self) -> str | None:
        return self.unit.grade_before_veto if self.comprehensive_given else None


def exclusion_count(unit: domain.UnitResult) -> int:
    reports = sum(c.excluded for c in unit.categories)
    return reports + len(unit.claims_not_counted)


def ranking_rows(computed: Computed, codes: Iterable[str] | None = None) -> list[RankingRow]:
    """The ranking in rank order; only the units in `codes` when given (a community's own)."""
    wanted = None if codes is None else set(codes)
    return [
        RankingRow(
            unit=unit,
            comprehensive_given=unit.unit_id in computed.comprehensive_given,
            exclusions=exclusion_count(unit),
        )
        for unit in computed.results.units
        if wanted is None or unit.unit_id in wanted
    ]


# ---------------------------------------------------------------- labels


def report_reason_label(reason: str) -> str:
    """Art. 12: why a report does not count."""
    return {
        domain.REPORT_LATE: _("Submitted after the due time"),
        domain.REPORT_MISSING: _("Never submitted"),
    }.get(reason, reason)


def claim_reason_label(reason: str) -> str:
    """Art. 6 / scoring.md §3: why a bonus claim does not count."""
    return {
        domain.CLAIM_LATE: _("Declared after the declaration deadline"),
        domain.CLAIM_NOT_DECLARED: _("Never declared"),
        domain.CLAIM_NOT_APPROVED: _("Not approved by the Leading Group"),
        domain.CLAIM_PUBLICITY_OPEN: _("Publicity period not over when the results were computed"),
    }.get(reason, reason)


def source_label(source: str) -> str:
    """Whose score an indicator's score is (scoring.md §1)."""
    return {
        "joint_team": _("Joint team (verified)"),
        "department": _("Lead department"),
        "not_scored": _("Not scored"),
    }.get(source, source)


def level_label(level: str) -> str:
    try:
        return str(BonusLevel(level).label)
    except ValueError:
        return level


def local_time(value: datetime | None) -> str:
    """Due and submission times in Asia/Shanghai, to the second (on time means ≤ due)."""
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def settings_rows(year: AssessmentYear, data: dict | None = None) -> list[tuple[str, str]]:
    """Every *setting* of scoring.md the results were computed with, labelled for people (`data`:
    the settings as the bundle writes them, e.g. those stored with a published version)."""
    data = data or export_settings(year)

    def label(field: str) -> str:
        return str(AssessmentYear._meta.get_field(field).verbose_name)

    bands = data["grade_bands"]
    band_text = []
    for index, band in enumerate(bands):
        if index == len(bands) - 1 and index > 0:
            # results.scoring_settings: the last band catches everything below the others
            band_text.append(_("%(grade)s below that") % {"grade": band["grade"]})
        else:
            band_text.append(f"{band['grade']} ≥ {band['min']}")
    rows = [
        (label("performance_weight"), data["performance_weight"]),
        (label("satisfaction_weight"), data["satisfaction_weight"]),
        (label("full_marks_ratio"), data["full_marks_ratio"]),
        (label("bonus_cap"), data["bonus_cap"]),
    ]
    rows += [(label(f"bonus_{level}"), value) for level, value in data["bonus_points"].items()]
    rows += [(label(f"vote_{kind}"), value) for kind, value in data["vote_values"].items()]
    rows += [
        (label("debriefing_weight"), data["debriefing_weight"]),
        (label("democratic_weight"), data["democratic_weight"]),
        (label("rank_bonus"), ", ".join(data["rank_bonus"])),
        (label("bottom_penalty"), ", ".join(data["bottom_penalty"])),
        (_("Penalised bottom positions (否优降档)"), str(len(data["bottom_penalty"]))),
        (label("grade_bands"), "; ".join(band_text)),
        (_("Tie rule (Art. 17)"), tie_rule()),
    ]
    return rows


def tie_rule() -> str:
    """scoring.md §5 / R17.1: the stated rule for ties, shown on the page and in the export."""
    return _(
        "Units are ordered by total, then performance, then satisfaction (descending). Units "
        "equal on all three share one rank, counted from the top (1, 2, 2, 4) and likewise from "
        "the bottom; a shared rank splits nothing: each gets that rank's addition or deduction."
    )


def yes(value: bool) -> str:
    return _("Yes") if value else ""


# ---------------------------------------------------------------- the workbook


def ranking_headers(computed: Computed) -> list[str]:
    return [
        _("Rank"),
        _("Bottom position"),
        _("Unit code"),
        _("Unit"),
        *[f"{c.name}（{c.max_points}）" for c in computed.categories],
        _("Counted claim points"),
        _("Bonus"),
        _("Performance"),
        _("Debriefing appraisal"),
        _("Democratic evaluation"),
        _("Satisfaction"),
        _("Total"),
        _("Comprehensive evaluation"),
        _("Comprehensive adjustment"),
        _("Adjusted comprehensive"),
        _("Grade before the veto"),
        _("Grade"),
        _("Excellence veto (否优)"),
        _("Grade lowered (降档)"),
        _("Advanced withdrawn"),
        _("Secretary not eligible for excellent"),
        _("Debriefing vote empty"),
        _("Democratic vote empty"),
        _("Exclusions"),
    ]


def ranking_values(row: RankingRow) -> list:
    unit = row.unit
    return [
        unit.rank,
        unit.bottom_position,
        unit.unit_id,
        unit.name,
        *[c.score for c in unit.categories],
        unit.claim_points,
        unit.bonus,
        unit.performance,
        unit.debriefing.score,
        unit.democratic.score,
        unit.satisfaction,
        unit.total,
        row.comprehensive,
        unit.comprehensive_adjustment,
        row.adjusted,
        row.grade_before_veto,
        row.grade,
        yes(unit.flags.penalised),
        yes(unit.flags.veto_applied),
        yes(unit.flags.advanced_withdrawn),
        yes(unit.flags.secretary_not_eligible),
        yes(unit.flags.empty_debriefing_vote),
        yes(unit.flags.empty_democratic_vote),
        row.exclusions,
    ]


def exclusion_headers() -> list[str]:
    return [
        _("Unit code"),
        _("Unit"),
        _("Kind"),
        _("Indicator or claim"),
        _("Period"),
        _("Due"),
        _("Submitted or declared"),
        _("Reason"),
    ]


def exclusion_values(
    computed: Computed, rows: Iterable[RankingRow], *, claim_titles: bool
) -> list[list]:
    """Every report and bonus claim that does not count, unit by unit (Art. 6, Art. 12)."""
    out = []
    for row in sorted(rows, key=lambda r: r.code):
        unit = row.unit
        for cat in unit.categories:
            for ind in cat.indicators:
                for ex in ind.exclusions:
                    out.append(
                        [
                            unit.unit_id,
                            unit.name,
                            _("Report"),
                            f"{ind.code} {ind.name}".strip(),
                            ex.period,
                            local_time(ex.due),
                            local_time(ex.submitted),
                            report_reason_label(ex.reason),
                        ]
                    )
        for claim in unit.claims_not_counted:
            out.append(
                [
                    unit.unit_id,
                    unit.name,
                    _("Bonus claim"),
                    claim_label(computed, claim, titles=claim_titles),
                    None,
                    local_time(claim.claim.deadline),
                    local_time(claim.claim.declared_at),
                    "；".join(claim_reason_label(r) for r in claim.reasons),
                ]
            )
    return out


def claim_label(computed: Computed, claim: domain.ClaimResult, *, titles: bool) -> str:
    """The claim's title for those who may read claims (ClaimPolicy), otherwise its number."""
    number = computed.claim_index.get(claim.claim.ref, -1) + 1
    level = level_label(claim.claim.level)
    if titles:
        return f"{claim.claim.title}（{level}）"
    return _("Claim no. %(n)s (%(level)s)") % {"n": number, "level": level}
