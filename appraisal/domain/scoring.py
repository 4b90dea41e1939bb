"""The scoring engine of scoring.md: pure functions, Decimal in, Decimal out.

Every derived score is rounded half-up to 2 decimal places where scoring.md defines it
(`q`), and later steps use the rounded value.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import ROUND_HALF_UP, Context, Decimal
from functools import lru_cache

from .model import (
    CLAIM_LATE,
    CLAIM_NOT_APPROVED,
    CLAIM_NOT_DECLARED,
    CLAIM_PUBLICITY_OPEN,
    REPORT_LATE,
    REPORT_MISSING,
    BonusClaim,
    CategoryInput,
    CategoryResult,
    ClaimResult,
    Exclusion,
    FullMarksCheck,
    IndicatorInput,
    IndicatorResult,
    Position,
    ScoringSettings,
    UnitFlags,
    UnitInput,
    UnitResult,
    VoteResult,
    Votes,
    YearResults,
)

ZERO = Decimal("0")
CENT = Decimal("0.01")


def q(value: Decimal) -> Decimal:
    """Round half-up to 2 decimal places."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


# Division with ample precision (50 digits), then half-up to 2 dp: no double rounding at a tie.
_WIDE = Context(prec=50, rounding=ROUND_HALF_UP)


def _div(numerator: Decimal, denominator: Decimal) -> Decimal:
    return _WIDE.divide(Decimal(numerator), Decimal(denominator)).quantize(
        CENT, rounding=ROUND_HALF_UP
    )


@lru_cache(maxsize=8192)
def report_cap(max_points: Decimal, on_time: int, required: int) -> Decimal:
    """§1: max × on_time / required (2 dp); max when nothing is required. A year has few
    distinct (max, on_time, required) triples and very many indicators."""
    if required == 0:
        return q(max_points)
    return _div(max_points * on_time, Decimal(required))


def _aware(value: datetime, what: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be an aware datetime, got {value!r}")
    return value


# ---------------------------------------------------------------- §1 indicator


def on_time_and_exclusions(ind: IndicatorInput) -> tuple[int, tuple[Exclusion, ...]]:
    """Count on-time reports; list every late or missing one as an exclusion (Art. 12).

    With `reports`, a report is on time when submitted <= due (aware datetimes); required
    periods with no report at all are missing, with no due time known. With only
    `on_time_reports`, the shortfall is listed as missing without times.
    """
    required = ind.required_reports
    if required < 0:
        raise ValueError(f"{ind.code}: required_reports must be >= 0")
    if ind.on_time_reports is not None and not ind.reports:
        on_time = ind.on_time_reports
        if not 0 <= on_time <= required - len(ind.not_on_time):
            raise ValueError(f"{ind.code}: on_time_reports must lie in [0, required_reports]")
        if not ind.details:
            return on_time, ()
        judged = []
        for report in ind.not_on_time:
            on_time_here, exclusion = _judge(ind.code, report)
            if on_time_here:
                raise ValueError(f"{ind.code}: period {report.period} was on time")
            judged.append(exclusion)
        missing = tuple(
            Exclusion(ind.code, REPORT_MISSING, None, None)
            for _ in range(required - on_time - len(judged))
        )
        return on_time, tuple(judged) + missing
    if len(ind.reports) > required:
        raise ValueError(f"{ind.code}: more reports than required_reports")
    on_time = 0
    exclusions: list[Exclusion] = []
    for report in ind.reports:
        on_time_here, exclusion = _judge(ind.code, report)
        if on_time_here:
            on_time += 1
        else:
            exclusions.append(exclusion)
    # Year-end: every required period is due even if its report was never created.
    exclusions.extend(
        Exclusion(ind.code, REPORT_MISSING, None, None) for _ in range(required - len(ind.reports))
    )
    if ind.on_time_reports is not None and ind.on_time_reports != on_time:
        raise ValueError(f"{ind.code}: on_time_reports disagrees with the report times")
    return on_time, tuple(exclusions)


def _judge(code: str, report) -> tuple[bool, Exclusion | None]:
    """On time when submitted <= due (Art. 12); otherwise the exclusion and its reason."""
    if report.due is None:
        return False, Exclusion(code, REPORT_MISSING, None, report.submitted, report.period)
    due = _aware(report.due, f"{code} due")
    if report.submitted is None:
        return False, Exclusion(code, REPORT_MISSING, due, None, report.period)
    if _aware(report.submitted, f"{code} submitted") <= due:
        return True, None
    return False, Exclusion(code, REPORT_LATE, due, report.submitted, report.period)


_ROUNDED: dict[Decimal, Decimal] = {}


def _q_score(value: Decimal) -> Decimal:
    """q() of a score: a year has few distinct score values and very many indicators."""
    try:
        return _ROUNDED[value]
    except KeyError:
        if len(_ROUNDED) > 50_000:
            _ROUNDED.clear()
        rounded = _ROUNDED[value] = q(value)
        return rounded


def indicator_score(ind: IndicatorInput) -> IndicatorResult:
    """§1: cap = max × on_time / required (2 dp); score = min(s, cap)."""
    required = ind.required_reports
    on_time = ind.on_time_reports
    if on_time is not None and not ind.details and not ind.reports:
        # Counted by the caller, nothing to list (the ranking): the common case, kept short.
        if required < 0 or not 0 <= on_time <= required - len(ind.not_on_time):
            raise ValueError(f"{ind.code}: on_time_reports must lie in [0, required_reports]")
        exclusions = ()
    else:
        on_time, exclusions = on_time_and_exclusions(ind)
    cap = report_cap(ind.max_points, on_time, required)
    if ind.joint_team_score is not None:
        source, raw = "joint_team", ind.joint_team_score
    elif ind.department_score is not None:
        source, raw = "department", ind.department_score
    else:
        source, raw = "not_scored", ZERO
    if not ZERO <= raw <= ind.max_points:
        raise ValueError(f"{ind.code}: score {raw} outside [0, {ind.max_points}]")
    return IndicatorResult(
        ind.code,
        ind.name,
        ind.category,
        ind.max_points,
        ind.required_reports,
        on_time,
        cap,
        source,
        _q_score(raw),
        _q_score(min(raw, cap)),
        exclusions,
        required - on_time,
    )


# ---------------------------------------------------------------- §2 category


def category_score(cat: CategoryInput) -> CategoryResult:
    """§2: clamp(Σ indicator + Σ adjustments, 0, max) (2 dp); fraud makes it 0."""
    for ind in cat.indicators:
        if ind.category != cat.code:
            raise ValueError(f"indicator {ind.code} belongs to {ind.category}, not {cat.code}")
    indicators = tuple(indicator_score(ind) for ind in cat.indicators)
    indicator_sum = sum((i.score for i in indicators), ZERO)
    excluded = sum(i.excluded for i in indicators)
    if cat.rows:
        if indicators:
            raise ValueError(f"category {cat.code}: give indicators or rows, not both")
        indicator_sum, excluded = _row_sums(cat.rows)
    adjustment_sum = sum((a.points for a in cat.adjustments), ZERO)
    if cat.fraud is not None:
        score = q(ZERO)
    else:
        score = q(min(max(indicator_sum + adjustment_sum, ZERO), cat.max_points))
    return CategoryResult(
        code=cat.code,
        name=cat.name,
        max_points=cat.max_points,
        indicators=indicators,
        indicator_sum=q(indicator_sum),
        adjustments=cat.adjustments,
        adjustment_sum=q(adjustment_sum),
        fraud=cat.fraud,
        score=score,
        excluded=excluded,
    )


def _row_sums(rows) -> tuple[Decimal, int]:
    """§1 over compact rows: Σ q(min(s, cap)) and the reports not counted. The same rules as
    indicator_score (tests compare the two), without building a result per indicator."""
    total = ZERO
    excluded = 0
    for code, max_points, required, on_time, department, joint_team in rows:
        if required < 0 or not 0 <= on_time <= required:
            raise ValueError(f"{code}: on_time_reports must lie in [0, required_reports]")
        raw = joint_team if joint_team is not None else department
        if raw is None:
            raw = ZERO
        elif not ZERO <= raw <= max_points:
            raise ValueError(f"{code}: score {raw} outside [0, {max_points}]")
        cap = report_cap(max_points, on_time, required)
        total += _q_score(raw if raw < cap else cap)
        excluded += required - on_time
    return total, excluded


def full_marks_check(
    category_results: Mapping[str, Sequence[CategoryResult]],
    assessed_units: int,
    settings: ScoringSettings,
    exceptions: Mapping[str, str] | None = None,
) -> tuple[FullMarksCheck, ...]:
    """§2 full-marks cap. `category_results` maps unit id → that unit's category results;
    `exceptions` maps category code → the Leading Group's reason for allowing more."""
    exceptions = exceptions or {}
    allowed = math.floor(settings.full_marks_ratio * assessed_units)
    full: dict[str, list[str]] = {}
    for unit_id, results in category_results.items():
        for cat in results:
            full.setdefault(cat.code, [])
            if cat.full_marks:
                full[cat.code].append(unit_id)
    checks = []
    for code in sorted(full):
        units = tuple(sorted(full[code]))
        breaks = len(units) > allowed
        reason = exceptions.get(code) or None
        checks.append(
            FullMarksCheck(
                category=code,
                assessed_units=assessed_units,
                allowed=allowed,
                full_marks_units=units,
                breaks_cap=breaks,
                exception_reason=reason,
                blocks_finalisation=breaks and reason is None,
            )
        )
    return tuple(checks)


# ---------------------------------------------------------------- §3 performance


def evaluate_claim(claim: BonusClaim, settings: ScoringSettings, as_of: datetime) -> ClaimResult:
    """A claim counts when declared by its deadline, approved, and its publicity is over."""
    points = settings.points_for(claim.level)
    reasons = []
    if claim.declared_at is None:
        reasons.append(CLAIM_NOT_DECLARED)
    elif _aware(claim.declared_at, "declared_at") > _aware(claim.deadline, "deadline"):
        reasons.append(CLAIM_LATE)
    if not claim.approved:
        reasons.append(CLAIM_NOT_APPROVED)
    if claim.publicity_ends_at is None or _aware(claim.publicity_ends_at, "publicity") > _aware(
        as_of, "as_of"
    ):
        reasons.append(CLAIM_PUBLICITY_OPEN)
    return ClaimResult(claim=claim, points=points, counted=not reasons, reasons=tuple(reasons))


def bonus(claims: Iterable[ClaimResult], settings: ScoringSettings) -> Decimal:
    """min(Σ points of counted claims, bonus_cap)."""
    points = sum((c.points for c in claims if c.counted), ZERO)
    return q(min(points, settings.bonus_cap))


def performance(category_scores: Iterable[Decimal], bonus_points: Decimal) -> Decimal:
    """Σ category_score + bonus (2 dp)."""
    return q(sum(category_scores, ZERO) + bonus_points)


# ---------------------------------------------------------------- §4 satisfaction


def vote_score(votes: Votes, settings: ScoringSettings) -> VoteResult:
    """Weighted share of ballots (2 dp); 0 and flagged when there are no ballots."""
    counts = (votes.satisfied, votes.basically, votes.dissatisfied)
    if any(n < 0 for n in counts):
        raise ValueError("vote counts must be >= 0")
    ballots = sum(counts)
    if ballots == 0:
        return VoteResult(votes=votes, ballots=0, score=q(ZERO), empty=True)
    weighted = (
        settings.vote_satisfied * votes.satisfied
        + settings.vote_basically * votes.basically
        + settings.vote_dissatisfied * votes.dissatisfied
    )
    return VoteResult(
        votes=votes, ballots=ballots, score=_div(weighted, Decimal(ballots)), empty=False
    )


def satisfaction(debriefing: Decimal, democratic: Decimal, settings: ScoringSettings) -> Decimal:
    return q(settings.debriefing_weight * debriefing + settings.democratic_weight * democratic)


# ---------------------------------------------------------------- §5 total and ranking


def total(
    performance_score: Decimal, satisfaction_score: Decimal, settings: ScoringSettings
) -> Decimal:
    return q(
        settings.performance_weight * performance_score
        + settings.satisfaction_weight * satisfaction_score
    )


def rank_units(keys: Mapping[str, tuple[Decimal, Decimal, Decimal]]) -> dict[str, Position]:
    """Competition ranking on (total, performance, satisfaction), all descending.

    rank = 1 + units strictly better; bottom position = 1 + units strictly worse.
    """
    ordered = sorted(keys.values())  # ascending; bisect counts in O(log n) (3,000 units a year)
    n = len(ordered)
    return {
        unit_id: Position(
            rank=1 + n - bisect.bisect_right(ordered, key),
            bottom_position=1 + bisect.bisect_left(ordered, key),
        )
        for unit_id, key in keys.items()
    }


# ---------------------------------------------------------------- §6 comprehensive


def comprehensive_adjustment(position: Position, settings: ScoringSettings) -> Decimal:
    """Top-rank addition plus bottom-position deduction; a unit may get both."""
    adjustment = ZERO
    if 1 <= position.rank <= len(settings.top_rank_additions):
        adjustment += settings.top_rank_additions[position.rank - 1]
    if 1 <= position.bottom_position <= len(settings.bottom_position_deductions):
        adjustment -= settings.bottom_position_deductions[position.bottom_position - 1]
    return q(adjustment)


def grade_for(adjusted: Decimal, settings: ScoringSettings) -> str:
    """The first band whose threshold `adjusted` reaches (None = catch-all)."""
    for name, threshold in settings.grade_bands:
        if threshold is None or adjusted >= threshold:
            return name
    raise ValueError(f"no grade band for {adjusted}; the last band needs threshold None")


def apply_veto(grade: str, position: Position, settings: ScoringSettings) -> tuple[str, bool]:
    """否优降档: a penalised bottom position cannot hold the top band; drop to the next."""
    bands = settings.grade_bands
    penalised = position.bottom_position <= settings.penalised_positions
    if penalised and grade == bands[0][0] and len(bands) > 1:
        return bands[1][0], True
    return grade, False


# ---------------------------------------------------------------- the whole year


def compute_results(
    units: Sequence[UnitInput],
    settings: ScoringSettings,
    as_of: datetime,
    *,
    full_marks_exceptions: Mapping[str, str] | None = None,
) -> YearResults:
    """All figures of scoring.md §7 for one assessment year."""
    _aware(as_of, "as_of")
    ids = [u.unit_id for u in units]
    if len(set(ids)) != len(ids):
        raise ValueError("duplicate unit ids")

    partial = {}
    for unit in units:
        cats = tuple(category_score(c) for c in unit.categories)
        claims = tuple(evaluate_claim(c, settings, as_of) for c in unit.claims)
        bonus_points = bonus(claims, settings)
        perf = performance((c.score for c in cats), bonus_points)
        debriefing = vote_score(unit.debriefing, settings)
        democratic = vote_score(unit.democratic, settings)
        sat = satisfaction(debriefing.score, democratic.score, settings)
        partial[unit.unit_id] = (cats, claims, bonus_points, perf, debriefing, democratic, sat)

    totals = {uid: total(p[3], p[6], settings) for uid, p in partial.items()}
    positions = rank_units({uid: (totals[uid], p[3], p[6]) for uid, p in partial.items()})

    results = []
    for unit in units:
        cats, claims, bonus_points, perf, debriefing, democratic, sat = partial[unit.unit_id]
        pos = positions[unit.unit_id]
        adjustment = comprehensive_adjustment(pos, settings)
        adjusted = q(unit.comprehensive + adjustment)
        before = grade_for(adjusted, settings)
        grade, vetoed = apply_veto(before, pos, settings)
        penalised = pos.bottom_position <= settings.penalised_positions
        results.append(
            UnitResult(
                unit_id=unit.unit_id,
                name=unit.name,
                categories=cats,
                claims_counted=tuple(c for c in claims if c.counted),
                claims_not_counted=tuple(c for c in claims if not c.counted),
                claim_points=q(sum((c.points for c in claims if c.counted), ZERO)),
                bonus=bonus_points,
                performance=perf,
                debriefing=debriefing,
                democratic=democratic,
                satisfaction=sat,
                total=totals[unit.unit_id],
                rank=pos.rank,
                bottom_position=pos.bottom_position,
                comprehensive=unit.comprehensive,
                comprehensive_adjustment=adjustment,
                adjusted=adjusted,
                grade_before_veto=before,
                grade=grade,
                flags=UnitFlags(
                    empty_debriefing_vote=debriefing.empty,
                    empty_democratic_vote=democratic.empty,
                    penalised=penalised,
                    veto_applied=vetoed,
                    advanced_withdrawn=penalised and unit.advanced,
                    secretary_not_eligible=penalised,
                ),
            )
        )
    results.sort(key=lambda r: (r.rank, r.unit_id))
    checks = full_marks_check(
        {r.unit_id: r.categories for r in results}, len(units), settings, full_marks_exceptions
    )
    return YearResults(as_of=as_of, settings=settings, units=tuple(results), full_marks=checks)
