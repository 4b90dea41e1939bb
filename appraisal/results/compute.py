"""From the database to the engine and back out: the year's results, never stored.

`compute(year)` reads every input of the year in a fixed number of queries (the database counts
the on-time reports, scoring.md §1 / Art. 12), feeds appraisal.domain and returns its YearResults.
`compute(year, overrides=…)` applies the what-if sandbox's changes to the same inputs without
writing anything.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Count, F, Q
from django.utils import timezone

from .. import domain
from ..models import (
    Adjustment,
    AssessedUnit,
    AssessmentYear,
    BonusClaim,
    Category,
    ClaimState,
    Comprehensive,
    FraudFinding,
    FraudState,
    FullMarksException,
    Indicator,
    Report,
    Score,
    Vote,
    VoteKind,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def scoring_settings(year: AssessmentYear) -> domain.ScoringSettings:
    """The year's settings as the engine takes them. The last grade band catches everything
    below the others (an adjusted score may fall below 0 after a deduction)."""
    bands = [(b["grade"], Decimal(b["min"])) for b in year.grade_bands]
    if bands:
        bands[-1] = (bands[-1][0], None)
    return domain.ScoringSettings(
        full_marks_ratio=year.full_marks_ratio,
        bonus_cap=year.bonus_cap,
        level_points=(
            (domain.DISTRICT, year.bonus_district),
            (domain.CITY, year.bonus_city),
            (domain.PROVINCE, year.bonus_province),
            (domain.NATIONAL, year.bonus_national),
        ),
        vote_satisfied=year.vote_satisfied,
        vote_basically=year.vote_basically,
        vote_dissatisfied=year.vote_dissatisfied,
        debriefing_weight=year.debriefing_weight,
        democratic_weight=year.democratic_weight,
        performance_weight=year.performance_weight,
        satisfaction_weight=year.satisfaction_weight,
        top_rank_additions=tuple(Decimal(v) for v in year.rank_bonus),
        bottom_position_deductions=tuple(Decimal(v) for v in year.bottom_penalty),
        grade_bands=tuple(bands),
    )


@dataclass
class Overrides:
    """The what-if sandbox of the Office: changes applied to the inputs in memory only, never
    written (the real results move only through the services)."""

    # (unit id, indicator id) → score replacing the department's (and the joint team's)
    scores: dict[tuple[int, int], Decimal] = field(default_factory=dict)
    # claim ids to treat as approved with publicity over / as not approved
    approve_claims: set[int] = field(default_factory=set)
    reject_claims: set[int] = field(default_factory=set)
    # fraud finding ids to treat as upheld / as rejected
    uphold_fraud: set[int] = field(default_factory=set)
    dismiss_fraud: set[int] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(
            self.scores
            or self.approve_claims
            or self.reject_claims
            or self.uphold_fraud
            or self.dismiss_fraud
        )


@dataclass(frozen=True)
class Computed:
    """The engine's results plus what the pages need to name things."""

    year: AssessmentYear
    results: domain.YearResults
    units: dict[str, AssessedUnit]  # unit code → assessed unit
    comprehensive_given: frozenset[str]  # unit codes with a comprehensive entry
    claim_index: dict[int, int]  # claim id → its index in the year's claims (bundle order)
    categories: tuple[Category, ...]


def _local(value: datetime | None) -> datetime | None:
    return value.astimezone(SHANGHAI) if value is not None else None


def memo(convert):
    """`convert` remembering its results: the due times of a year's reports are few (one per
    indicator and period), their conversions many (one per late or missing report)."""
    seen: dict = {}

    def converted(value):
        try:
            return seen[value]
        except KeyError:
            result = seen[value] = convert(value)
            return result

    return converted


def results_as_of(year: AssessmentYear, as_of: datetime | None = None) -> datetime:
    """The moment the year's results are computed at: the one asked for, else the year's own
    (fixed when the year is decided), else now."""
    return as_of or year.as_of or timezone.now()


def claim_input(
    claim: BonusClaim, overrides: Overrides | None = None, as_of: datetime | None = None
) -> domain.BonusClaim:
    """A bonus claim as the engine takes it; the what-if sandbox may treat it as approved with its
    publicity over at `as_of`, or as not approved."""
    approved = claim.status == ClaimState.APPROVED
    publicity = claim.publicity_ends_at
    if overrides is not None and claim.pk in overrides.approve_claims:
        approved = True
        publicity = publicity if publicity and publicity <= as_of else as_of
    if overrides is not None and claim.pk in overrides.reject_claims:
        approved = False
    return domain.BonusClaim(
        level=claim.level,
        declared_at=claim.declared_at,
        deadline=claim.declare_by,
        approved=approved,
        publicity_ends_at=publicity,
        title=claim.title,
        ref=claim.pk,
    )


def claim_result(claim: BonusClaim, year: AssessmentYear | None = None) -> domain.ClaimResult:
    """Whether a claim counts, and why not (scoring.md §3, Art. 6, 12): the engine's own verdict
    at the results' moment, so that the claim's page and the results never disagree."""
    year = year or claim.year
    return domain.evaluate_claim(claim_input(claim), scoring_settings(year), results_as_of(year))


def compute(
    year: AssessmentYear,
    *,
    as_of: datetime | None = None,
    overrides: Overrides | None = None,
    details: bool | Collection[str] = True,
) -> Computed:
    """All results of the year (scoring.md §7), in a number of queries that does not grow with
    the number of units, indicators or reports.

    Every figure comes from the database's count of on-time reports per (unit, indicator).
    `details` says for which units each excluded report is also listed with its period, due and
    filing times, with every indicator's result: all (True: the results document, the export),
    the given unit codes (one unit's drill-down) or none (False: the ranking, the what-if
    sandbox). The other units get their category figures only, and how many of their reports
    were excluded (CategoryResult.excluded)."""
    overrides = overrides or Overrides()
    as_of = results_as_of(year, as_of)
    settings = scoring_settings(year)

    # Art. 3: the regulation's order of the categories (their sort order), not their codes
    categories = tuple(Category.objects.filter(year=year).order_by("sort_order", "code"))
    indicators = list(Indicator.objects.filter(year=year).order_by("code"))
    units = list(AssessedUnit.objects.filter(year=year).order_by("code"))
    unit_ids = {u.unit_id for u in units}

    # Art. 12: the database counts on-time reports per (unit, indicator). Whole numbers only:
    # read straight from the cursor, without the ORM's per-value converters (180,000 rows in a
    # city-sized year).
    counted = (
        Report.objects.filter(year=year)
        .values_list("unit_id", "indicator_id")
        .annotate(n=Count("id"), on_time=Count("id", filter=Q(submitted_at__lte=F("due_at"))))
        .order_by()
    )
    with connection.cursor() as cursor:
        cursor.execute(*counted.query.sql_with_params())
        counts = {(row[0], row[1]): (row[2], row[3]) for row in cursor.fetchall()}
    # The same per unit, indicator → on-time count: the loop below runs 180,000 times.
    on_time_of: dict[int, dict[int, int]] = defaultdict(dict)
    for (unit_id, indicator_id), (_n, on_time) in counts.items():
        on_time_of[unit_id][indicator_id] = on_time
    # The reports that do not count (late or never submitted), with their times; by period, so
    # that each (unit, indicator) list is in period order (periods are unique per pair).
    not_on_time: dict[tuple[int, int], list[domain.ReportTimes]] = defaultdict(list)
    local_due = memo(_local)
    if details is True:
        detail_units = unit_ids
    elif details:
        wanted = set(details)
        detail_units = {u.unit_id for u in units if u.code in wanted}
    else:
        detail_units = set()
    excluded_rows = Report.objects.filter(year=year).filter(
        Q(submitted_at__isnull=True) | Q(submitted_at__gt=F("due_at"))
    )
    if details is not True:
        excluded_rows = excluded_rows.filter(unit_id__in=detail_units)
    for unit_id, indicator_id, period, due_at, submitted_at in (
        excluded_rows.order_by("period").values_list(
            "unit_id", "indicator_id", "period", "due_at", "submitted_at"
        )
        if detail_units
        else ()
    ):
        not_on_time[(unit_id, indicator_id)].append(
            domain.ReportTimes(
                due=local_due(due_at),
                submitted=_local(submitted_at),
                period=period,
            )
        )
    # Periods never created are missing too (year-end: every required period is due).
    required = {i.pk: i.required_reports for i in indicators}
    needed = [(i, need) for i, need in required.items() if need]
    short = {
        (u, i) for u in detail_units for i, need in needed if counts.get((u, i), (0, 0))[0] < need
    }
    if short:
        present: dict[tuple[int, int], set[int]] = defaultdict(set)
        rows = Report.objects.filter(
            year=year,
            unit_id__in={u for u, _ in short},
            indicator_id__in={i for _, i in short},
        ).values_list("unit_id", "indicator_id", "period")
        for unit_id, indicator_id, period in rows:
            present[(unit_id, indicator_id)].add(period)
        for key in short:
            have = present.get(key, set())
            for period in range(1, required[key[1]] + 1):
                if period not in have:
                    not_on_time[key].append(domain.ReportTimes(due=None, period=period))
            if key in not_on_time:
                not_on_time[key].sort(key=lambda r: r.period or 0)

    scores_of: dict[int, dict[int, tuple]] = defaultdict(dict)
    for u, i, d, v in Score.objects.filter(year=year).values_list(
        "unit_id", "indicator_id", "department_score", "verified_score"
    ):
        scores_of[u][i] = (d, v)
    for (u, i), value in overrides.scores.items():
        scores_of[u][i] = (value, None)
    adjustments: dict[tuple[int, int], list[domain.Adjustment]] = defaultdict(list)
    for unit_id, category_id, points, reason, source, date in (
        # Art. 10: a withdrawn adjustment stays on record but no longer counts.
        Adjustment.objects.filter(year=year, withdrawn_at__isnull=True)
        .order_by("date", "id")
        .values_list("unit_id", "category_id", "points", "reason", "source", "date")
    ):
        adjustments[(unit_id, category_id)].append(
            domain.Adjustment(points=points, reason=reason, source=source, date=date)
        )
    fraud: dict[tuple[int, int], domain.FraudFinding] = {}
    for pk, unit_id, category_id, reason, state in (
        FraudFinding.objects.filter(year=year)
        .order_by("id")
        .values_list("pk", "unit_id", "category_id", "reason", "state")
    ):
        upheld = state == FraudState.UPHELD
        if pk in overrides.uphold_fraud:
            upheld = True
        if pk in overrides.dismiss_fraud:
            upheld = False
        if upheld and (unit_id, category_id) not in fraud:
            fraud[(unit_id, category_id)] = domain.FraudFinding(reason=reason)

    claims: dict[int, list[domain.BonusClaim]] = defaultdict(list)
    claim_index: dict[int, int] = {}
    for index, claim in enumerate(
        BonusClaim.objects.filter(year=year).order_by("sort_order", "id")
    ):
        claim_index[claim.pk] = index
        claims[claim.unit_id].append(claim_input(claim, overrides, as_of))

    votes = {
        (u, k): domain.Votes(s, b, d)
        for u, k, s, b, d in Vote.objects.filter(year=year).values_list(
            "unit_id", "kind", "satisfied", "basically", "dissatisfied"
        )
    }
    comprehensive = {
        u: (s, a)
        for u, s, a in Comprehensive.objects.filter(year=year).values_list(
            "unit_id", "score", "advanced"
        )
    }
    exceptions = dict(
        FullMarksException.objects.filter(year=year).values_list("category__code", "reason")
    )

    # The catalogue as plain tuples: the loops below run once per (unit, indicator).
    by_category: dict[int, list[tuple]] = defaultdict(list)
    for ind in indicators:
        by_category[ind.category_id].append(
            (ind.pk, ind.code, ind.max_points, ind.required_reports, ind.name)
        )
    catalogue = [
        (cat.pk, cat.code, cat.max_points, cat.name, by_category[cat.pk]) for cat in categories
    ]
    not_scored = (None, None)

    inputs = []
    for unit in units:
        uid = unit.unit_id
        listed = uid in detail_units
        unit_scores = scores_of.get(uid, {})
        unit_on_time = on_time_of.get(uid, {})
        cats = []
        for cat_pk, cat_code, cat_max, cat_name, cat_indicators in catalogue:
            inds = []
            rows = []
            for ind_pk, code, max_points, required_reports, name in cat_indicators:
                dept, verified = unit_scores.get(ind_pk, not_scored)
                on_time = unit_on_time.get(ind_pk, 0)
                if not listed:
                    # Only the category's figures: one plain tuple per indicator.
                    rows.append((code, max_points, required_reports, on_time, dept, verified))
                    continue
                excluded = not_on_time.get((uid, ind_pk))
                inds.append(
                    domain.IndicatorInput(
                        code=code,
                        category=cat_code,
                        max_points=max_points,
                        required_reports=required_reports,
                        on_time_reports=on_time,
                        department_score=dept,
                        joint_team_score=verified,
                        name=name,
                        not_on_time=tuple(excluded) if excluded else (),
                    )
                )
            cats.append(
                domain.CategoryInput(
                    code=cat_code,
                    max_points=cat_max,
                    indicators=tuple(inds),
                    rows=tuple(rows),
                    adjustments=tuple(adjustments.get((uid, cat_pk), ())),
                    fraud=fraud.get((uid, cat_pk)),
                    name=cat_name,
                )
            )
        comp = comprehensive.get(uid)
        inputs.append(
            domain.UnitInput(
                unit_id=unit.code,
                name=unit.name,
                categories=tuple(cats),
                claims=tuple(claims.get(uid, ())),
                debriefing=votes.get((uid, VoteKind.DEBRIEFING), domain.Votes()),
                democratic=votes.get((uid, VoteKind.DEMOCRATIC), domain.Votes()),
                comprehensive=comp[0] if comp else Decimal("0"),
                advanced=comp[1] if comp else False,
            )
        )
    results = domain.compute_results(inputs, settings, as_of, full_marks_exceptions=exceptions)
    return Computed(
        year=year,
        results=results,
        units={u.code: u for u in units},
        comprehensive_given=frozenset(u.code for u in units if u.unit_id in comprehensive),
        claim_index=claim_index,
        categories=categories,
    )
