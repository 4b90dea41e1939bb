"""Inputs, settings and results of the scoring engine (scoring.md). Plain frozen dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

D = Decimal

# Grade names of the comprehensive evaluation (scoring.md §6).
EXCELLENT = "优胜"
PASS = "合格"
FAIL = "不合格"

# Bonus levels (scoring.md §3).
DISTRICT = "district"
CITY = "city"
PROVINCE = "province"
NATIONAL = "national"

# The most ballots of one kind a vote may count (scoring.md §4): far above any community's
# meeting, and within a 32-bit integer column.
MAX_BALLOTS = 1_000_000

# Defaults of the scalar settings (Decimal is immutable, safe as a default).
DEFAULT_FULL_MARKS_RATIO = D("0.15")
DEFAULT_BONUS_CAP = D("5")
DEFAULT_VOTE_SATISFIED = D("100")
DEFAULT_VOTE_BASICALLY = D("60")
DEFAULT_VOTE_DISSATISFIED = D("0")
DEFAULT_DEBRIEFING_WEIGHT = D("0.5")
DEFAULT_DEMOCRATIC_WEIGHT = D("0.5")
DEFAULT_PERFORMANCE_WEIGHT = D("0.8")
DEFAULT_SATISFACTION_WEIGHT = D("0.2")
DEFAULT_COMPREHENSIVE = D("0")

# Reasons, stable strings so that exports and tests can rely on them.
REPORT_LATE = "late"
REPORT_MISSING = "missing"
CLAIM_LATE = "declared after deadline"
CLAIM_NOT_DECLARED = "not declared"
CLAIM_NOT_APPROVED = "not approved by the Leading Group"
CLAIM_PUBLICITY_OPEN = "publicity period not over at as_of"


@dataclass(frozen=True)
class ScoringSettings:
    """Every *setting* of scoring.md with its default."""

    full_marks_ratio: Decimal = DEFAULT_FULL_MARKS_RATIO
    bonus_cap: Decimal = DEFAULT_BONUS_CAP
    level_points: tuple[tuple[str, Decimal], ...] = (
        (DISTRICT, D("1")),
        (CITY, D("2")),
        (PROVINCE, D("3")),
        (NATIONAL, D("5")),
    )
    vote_satisfied: Decimal = DEFAULT_VOTE_SATISFIED
    vote_basically: Decimal = DEFAULT_VOTE_BASICALLY
    vote_dissatisfied: Decimal = DEFAULT_VOTE_DISSATISFIED
    debriefing_weight: Decimal = DEFAULT_DEBRIEFING_WEIGHT
    democratic_weight: Decimal = DEFAULT_DEMOCRATIC_WEIGHT
    performance_weight: Decimal = DEFAULT_PERFORMANCE_WEIGHT
    satisfaction_weight: Decimal = DEFAULT_SATISFACTION_WEIGHT
    # Added for rank 1, 2, 3 … (index 0 = rank 1).
    top_rank_additions: tuple[Decimal, ...] = (D("0.3"), D("0.2"), D("0.1"))
    # Subtracted for bottom position 1, 2 … (index 0 = last place). Its length is the number
    # of penalised bottom positions (否优降档).
    bottom_position_deductions: tuple[Decimal, ...] = (D("0.2"), D("0.1"))
    # Ordered best first; the first band whose threshold the adjusted score reaches. A threshold
    # of None is the catch-all band (must be last).
    grade_bands: tuple[tuple[str, Decimal | None], ...] = (
        (EXCELLENT, D("90")),
        (PASS, D("60")),
        (FAIL, None),
    )

    def points_for(self, level: str) -> Decimal:
        for name, points in self.level_points:
            if name == level:
                return points
        raise ValueError(f"unknown bonus level {level!r}")

    @property
    def penalised_positions(self) -> int:
        return len(self.bottom_position_deductions)


# ---------------------------------------------------------------- inputs


@dataclass(frozen=True)
class ReportTimes:
    """One required reporting period: aware due time, aware submission time or None (never).

    `due` is None only for a period whose report was never created (then it is missing)."""

    due: datetime | None
    submitted: datetime | None = None
    period: int | None = None


class IndicatorInput(NamedTuple):
    """One indicator of one unit. A NamedTuple, not a dataclass: a city-sized year has 180,000
    of them, and a frozen dataclass costs some fifty times more to build."""

    code: str
    category: str
    max_points: Decimal
    required_reports: int = 0
    # Either give the count directly, or give `reports` and let the engine count on-time ones.
    on_time_reports: int | None = None
    reports: tuple[ReportTimes, ...] = ()
    department_score: Decimal | None = None
    joint_team_score: Decimal | None = None
    name: str = ""
    # With `on_time_reports` counted elsewhere (by the database): the periods that were not on
    # time, judged here; any remaining shortfall is listed as missing without times.
    not_on_time: tuple[ReportTimes, ...] = ()
    # False: only count what is not on time (IndicatorResult.excluded), list nothing — for the
    # ranking, which needs every figure but not each excluded report's times.
    details: bool = True


@dataclass(frozen=True)
class Adjustment:
    """An in-year addition (positive) or deduction (negative), 加扣分 (Art. 10)."""

    points: Decimal
    reason: str
    source: str
    date: datetime | None = None


@dataclass(frozen=True)
class FraudFinding:
    reason: str
    approver: str = ""


@dataclass(frozen=True)
class CategoryInput:
    code: str
    max_points: Decimal
    indicators: tuple[IndicatorInput, ...] = ()
    adjustments: tuple[Adjustment, ...] = ()
    fraud: FraudFinding | None = None
    name: str = ""
    # Instead of `indicators`, when only the category's figures are wanted (the ranking of a
    # city-sized year): one plain tuple per indicator, (code, max_points, required_reports,
    # on_time_reports, department_score, joint_team_score); scored by the same rules (§1), no
    # IndicatorResult kept.
    rows: tuple[tuple, ...] = ()


@dataclass(frozen=True)
class BonusClaim:
    level: str
    declared_at: datetime | None
    deadline: datetime
    approved: bool
    publicity_ends_at: datetime | None
    title: str = ""
    ref: int | None = None  # the caller's id for the claim, handed back in the results


@dataclass(frozen=True)
class Votes:
    satisfied: int = 0
    basically: int = 0
    dissatisfied: int = 0


@dataclass(frozen=True)
class UnitInput:
    unit_id: str
    name: str
    categories: tuple[CategoryInput, ...] = ()
    claims: tuple[BonusClaim, ...] = ()
    debriefing: Votes = field(default_factory=Votes)
    democratic: Votes = field(default_factory=Votes)
    comprehensive: Decimal = DEFAULT_COMPREHENSIVE
    advanced: bool = False


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class Exclusion:
    """A report not counted (Art. 12): late or missing, with its due and submitted times."""

    indicator: str
    reason: str
    due: datetime | None
    submitted: datetime | None
    period: int | None = None


class IndicatorResult(NamedTuple):
    code: str
    name: str
    category: str
    max_points: Decimal
    required_reports: int
    on_time_reports: int
    cap: Decimal
    source: str  # "joint_team", "department" or "not_scored"
    raw_score: Decimal
    score: Decimal
    exclusions: tuple[Exclusion, ...]
    excluded: int = 0  # required periods not counted (late or missing), listed or not


@dataclass(frozen=True)
class CategoryResult:
    code: str
    name: str
    max_points: Decimal
    indicators: tuple[IndicatorResult, ...]
    indicator_sum: Decimal
    adjustments: tuple[Adjustment, ...]
    adjustment_sum: Decimal
    fraud: FraudFinding | None
    score: Decimal
    excluded: int = 0  # required reports not counted (late or missing) over its indicators

    @property
    def full_marks(self) -> bool:
        return self.score == self.max_points


@dataclass(frozen=True)
class ClaimResult:
    claim: BonusClaim
    points: Decimal
    counted: bool
    reasons: tuple[str, ...]  # empty when counted


@dataclass(frozen=True)
class VoteResult:
    votes: Votes
    ballots: int
    score: Decimal
    empty: bool


@dataclass(frozen=True)
class Position:
    rank: int
    bottom_position: int


@dataclass(frozen=True)
class UnitFlags:
    empty_debriefing_vote: bool
    empty_democratic_vote: bool
    penalised: bool  # bottom position within the penalised positions
    veto_applied: bool  # grade actually lowered from the top band (否优降档)
    advanced_withdrawn: bool
    secretary_not_eligible: bool


@dataclass(frozen=True)
class UnitResult:
    unit_id: str
    name: str
    categories: tuple[CategoryResult, ...]
    claims_counted: tuple[ClaimResult, ...]
    claims_not_counted: tuple[ClaimResult, ...]
    claim_points: Decimal
    bonus: Decimal
    performance: Decimal
    debriefing: VoteResult
    democratic: VoteResult
    satisfaction: Decimal
    total: Decimal
    rank: int
    bottom_position: int
    comprehensive: Decimal
    comprehensive_adjustment: Decimal
    adjusted: Decimal
    grade_before_veto: str
    grade: str
    flags: UnitFlags


@dataclass(frozen=True)
class FullMarksCheck:
    """Art. 4 full-marks cap for one category."""

    category: str
    assessed_units: int
    allowed: int
    full_marks_units: tuple[str, ...]
    breaks_cap: bool
    exception_reason: str | None
    blocks_finalisation: bool


@dataclass(frozen=True)
class YearResults:
    as_of: datetime
    settings: ScoringSettings
    units: tuple[UnitResult, ...]  # by rank, then unit id
    full_marks: tuple[FullMarksCheck, ...]  # by category code

    @property
    def can_finalise(self) -> bool:
        return not any(c.blocks_finalisation for c in self.full_marks)

    def unit(self, unit_id: str) -> UnitResult:
        for u in self.units:
            if u.unit_id == unit_id:
                return u
        raise KeyError(unit_id)
