#!/usr/bin/env python
"""`make bench` (fourth part): the year's results at city scale, on PostgreSQL; writes
var/bench/scoring.json.

Loads one assessment year of one sub-district: 60 indicators over the four categories (maxima
LZ 25, ZZ 40, XC 20, QT 15; the indicators split them), every indicator monthly (12 required
reports), first for 1,500 communities and then for 3,000 (the second half is added to the same
year, so the growth is visible): 12 reports per (unit, indicator), about 5 % late and 2 % never
submitted (seeded random), a score for every (unit, indicator), votes and a comprehensive score for
(nearly) every unit, a few adjustments, fraud findings and bonus claims, and one full-marks
exception. Reports and scores are written by one INSERT … SELECT over generate_series each (2.16
million report rows at 3,000 units; as a superuser without the per-row foreign-key triggers: the
rows are built from existing ones), then VACUUM ANALYZE (what autovacuum would do on a live
server).

At each size it times, as the median of RUNS rounds (round-robin, after one warm-up round):

- ranking: appraisal.results.compute(year, details=False), every figure of every unit (ranks,
  totals, adjustments, grades, each indicator's cap and score and how many of its reports were
  excluded) from the database's counts — what the ranking page and the what-if sandbox run,
- compute: appraisal.results.compute(year), the same plus each excluded report listed with its
  period and its due and filing times (about 150,000 of them at full size),
- document: results_document(computed), the documented JSON structure,
- the floor: one GROUP BY query returning the on-time report count per (unit, indicator), all its
  rows fetched (what no implementation can avoid),

and reports the ratio to the floor (the aim: compute + document ≤ 1.5 × the floor), the queries
compute() runs (their number must not grow with the units), where its time goes (executing the
queries; the engine, appraisal.domain.compute_results; the rest: fetching rows and building the
engine's inputs), what the engine's frozen dataclasses cost per indicator, the memory (a fresh
child process per size: growth of the peak resident set, and the tracemalloc peak), EXPLAIN
(ANALYZE, BUFFERS) of the floor and of compute()'s queries on appraisal_report, and the functions
with the most self time in a cProfile run of compute() at the full size.

Uses DATABASE_URL when it names PostgreSQL, else postgres://postgres@127.0.0.1:5432/dangjian_bench,
in a throw-away database `test_<name>_scoring` (created and dropped here). BENCH_SCORING_UNITS
makes it smaller for a quick try. Wall-clock figures: compare runs on the same machine only.
"""

from __future__ import annotations

import cProfile
import gc
import json
import os
import platform
import pstats
import random
import re
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/dangjian_bench"
if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
    os.environ["DATABASE_URL"] = DEFAULT_URL

import benchdata  # noqa: E402 (scripts/, after the path and settings above)

OUT = benchdata.out_dir()
UNITS = int(os.environ.get("BENCH_SCORING_UNITS", 0)) or benchdata.scaled(3000, 20)
STEPS = (UNITS // 2, UNITS)
# (code, name, lead department, maximum points, indicators): 100 points, 60 indicators.
CATEGORIES = (
    ("LZ", "党风廉政建设", "纪检监察室", 25, 15),
    ("ZZ", "组织建设", "组织办", 40, 24),
    ("XC", "宣传思想文化", "宣传办", 20, 12),
    ("QT", "群团工作", "群团办", 15, 9),
)
REQUIRED_REPORTS = 12  # monthly
LATE_SHARE = 0.05
MISSING_SHARE = 0.02  # created, never submitted
RUNS = 3
AIM = 1.5
PROFILE_TOP = 25
SEED = 20260302
YEAR = 2025
SHANGHAI = ZoneInfo("Asia/Shanghai")
AS_OF = datetime(YEAR, 12, 31, 18, 0, tzinfo=SHANGHAI)
DECLARE_BY = datetime(YEAR, 11, 30, 17, 0, tzinfo=SHANGHAI)
MB = 1024 * 1024

FLOOR_SQL = """
SELECT unit_id, indicator_id, count(*) FILTER (WHERE submitted_at <= due_at)
FROM appraisal_report WHERE year_id = %s GROUP BY 1, 2
"""

# 12 monthly reports per (assessed unit, indicator), due on the last day of the month at 17:00
# Shanghai time; x decides never submitted / late / on time, y how late or how early.
REPORTS_SQL = """
INSERT INTO appraisal_report
    (year_id, unit_id, indicator_id, period, due_at, submitted_at, text, submitted_by_id,
     task_opened)
SELECT year_id, unit_id, indicator_id, period, due_at,
       CASE WHEN x < %(missing)s THEN NULL
            WHEN x < %(missing)s + %(late)s THEN due_at + (1 + floor(y * 480)) * interval '1 hour'
            ELSE due_at - floor(y * 20 * 1440) * interval '1 minute'
       END,
       '', NULL, TRUE
FROM (
    SELECT au.year_id, au.unit_id, i.id AS indicator_id, p AS period,
           (make_date(%(year)s, p, 1) + interval '1 month - 1 day' + time '17:00')
               AT TIME ZONE 'Asia/Shanghai' AS due_at,
           random() AS x, random() AS y
    FROM appraisal_assessedunit au
    JOIN appraisal_indicator i ON i.year_id = au.year_id
    CROSS JOIN generate_series(1, i.required_reports) AS p
    WHERE au.year_id = %(year_id)s AND au.id = ANY(%(assessed)s)
    ORDER BY p, au.unit_id, i.id
) AS s
"""

# A score for every (assessed unit, indicator): 40 % full marks, the others between half and
# full; 10 % also carry the joint team's verified value.
SCORES_SQL = """
INSERT INTO appraisal_score
    (year_id, unit_id, indicator_id, department_score, verified_score, comment, scored_by_id,
     scored_at)
SELECT year_id, unit_id, indicator_id,
       CASE WHEN x < 0.4 THEN max_points
            ELSE round(max_points * (0.5 + 0.5 * y)::numeric, 2) END,
       CASE WHEN z < 0.1 THEN round(max_points * (0.6 + 0.4 * y)::numeric, 2) END,
       '', NULL, NULL
FROM (
    SELECT au.year_id, au.unit_id, i.id AS indicator_id, i.max_points,
           random() AS x, random() AS y, random() AS z
    FROM appraisal_assessedunit au
    JOIN appraisal_indicator i ON i.year_id = au.year_id
    WHERE au.year_id = %(year_id)s AND au.id = ANY(%(assessed)s)
    ORDER BY au.unit_id, i.id
) AS s
"""

REPORT_COUNTS_SQL = """
SELECT count(*),
       count(*) FILTER (WHERE submitted_at <= due_at),
       count(*) FILTER (WHERE submitted_at > due_at),
       count(*) FILTER (WHERE submitted_at IS NULL)
FROM appraisal_report WHERE year_id = %s
"""


# --- data -----------------------------------------------------------------------------------------


def _split(cents: int, parts: int) -> list[Decimal]:
    """`cents` split into `parts` 2-dp amounts that add up exactly."""
    base, extra = divmod(cents, parts)
    return [Decimal(base + (1 if n < extra else 0)).scaleb(-2) for n in range(parts)]


def load_year(org: dict):
    """The assessment year (year-end, as_of fixed), its categories and 60 monthly indicators."""
    from appraisal.models import (
        AssessmentYear,
        Category,
        FullMarksException,
        Indicator,
        Schedule,
        YearStatus,
    )

    year = AssessmentYear.objects.create(
        sub_district=org["sub_district"],
        year=YEAR,
        status=YearStatus.YEAR_END,
        as_of=AS_OF,
        claim_declare_by=DECLARE_BY,
    )
    categories = Category.objects.bulk_create(
        Category(
            year=year,
            code=code,
            name=name,
            department=department,
            max_points=Decimal(points),
            sort_order=n,
        )
        for n, (code, name, department, points, _count) in enumerate(CATEGORIES)
    )
    indicators = []
    for category, (code, _name, _department, points, count) in zip(
        categories, CATEGORIES, strict=True
    ):
        for k, max_points in enumerate(_split(points * 100, count), start=1):
            indicators.append(
                Indicator(
                    year=year,
                    category=category,
                    code=f"{code}{k:02d}",
                    name=f"{category.name}指标{k:02d}",
                    max_points=max_points,
                    schedule=Schedule.MONTHLY,
                    required_reports=REQUIRED_REPORTS,
                    sort_order=len(indicators),
                )
            )
    Indicator.objects.bulk_create(indicators)
    zz = next(c for c in categories if c.code == "ZZ")
    FullMarksException.objects.create(
        year=year, category=zz, reason="领导小组同意：组织建设满分超限"
    )
    return year, categories


def load_units(rng: random.Random, year, categories, units: list, seed: float) -> None:
    """Assess `units` in the year: their reports and scores (SQL), and their other inputs."""
    from django.db import connection, transaction

    from appraisal.models import (
        Adjustment,
        AssessedUnit,
        BonusClaim,
        BonusLevel,
        ClaimState,
        Comprehensive,
        FraudFinding,
        FraudState,
        Vote,
        VoteKind,
    )

    with transaction.atomic():
        assessed = AssessedUnit.objects.bulk_create(
            AssessedUnit(year=year, unit=u, code=u.code, name=u.name) for u in units
        )
        params = {
            "year": YEAR,
            "year_id": year.pk,
            "assessed": [a.pk for a in assessed],
            "missing": MISSING_SHARE,
            "late": LATE_SHARE,
        }
        with connection.cursor() as cursor:
            cursor.execute("SHOW is_superuser")
            if cursor.fetchone()[0] == "on":
                # Rows built from existing ones by joins: skip the per-row foreign-key checks
                # (half the load time). Not allowed to others, for whom the checks just run.
                cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute("SELECT setseed(%s)", [seed])
            cursor.execute(REPORTS_SQL, params)
            cursor.execute("SELECT setseed(%s)", [-seed])
            cursor.execute(SCORES_SQL, params)
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")

        adjustments, fraud, claims, votes, comprehensive = [], [], [], [], []
        claim_order = BonusClaim.objects.filter(year=year).count()
        points = [Decimal(p) for p in ("-2.00", "-1.00", "-0.50", "0.50", "1.00", "2.00")]
        for unit in units:
            if rng.random() < 0.1:
                adjustments.append(
                    Adjustment(
                        year=year,
                        unit=unit,
                        category=rng.choice(categories),
                        points=rng.choice(points),
                        reason="专项检查加扣分",
                        source="街道党工委",
                        date=date(YEAR, rng.randint(1, 12), rng.randint(1, 28)),
                    )
                )
            if rng.random() < 0.002:
                fraud.append(
                    FraudFinding(
                        year=year,
                        unit=unit,
                        category=rng.choice(categories),
                        reason="台账材料弄虚作假",
                        state=FraudState.UPHELD if rng.random() < 0.7 else FraudState.PROPOSED,
                    )
                )
            for _ in range(rng.choice((0, 0, 0, 0, 1, 1, 2))):
                late = rng.random()
                declared_at = (
                    None
                    if late < 0.03
                    else DECLARE_BY + timedelta(days=3)
                    if late < 0.1
                    else DECLARE_BY - timedelta(days=rng.randint(1, 200))
                )
                status = rng.choices(
                    [
                        ClaimState.APPROVED,
                        ClaimState.OFFICE_REVIEWED,
                        ClaimState.DECLARED,
                        ClaimState.REJECTED,
                    ],
                    weights=[70, 10, 10, 10],
                )[0]
                publicity = None
                if status == ClaimState.APPROVED:
                    publicity = DECLARE_BY + timedelta(days=45 if rng.random() < 0.05 else 20)
                claims.append(
                    BonusClaim(
                        year=year,
                        unit=unit,
                        level=rng.choice(BonusLevel.values),
                        title="获评先进基层党组织",
                        status=status,
                        declared_at=declared_at,
                        declare_by=DECLARE_BY,
                        publicity_ends_at=publicity,
                        sort_order=claim_order + len(claims),
                    )
                )
            for kind in VoteKind.values:
                empty = rng.random() < 0.01
                votes.append(
                    Vote(
                        year=year,
                        unit=unit,
                        kind=kind,
                        satisfied=0 if empty else rng.randint(20, 60),
                        basically=0 if empty else rng.randint(0, 10),
                        dissatisfied=0 if empty else rng.randint(0, 5),
                    )
                )
            if rng.random() < 0.98:
                comprehensive.append(
                    Comprehensive(
                        year=year,
                        unit=unit,
                        score=Decimal(rng.randint(6000, 9999)).scaleb(-2),
                        advanced=rng.random() < 0.05,
                    )
                )
        Adjustment.objects.bulk_create(adjustments)
        FraudFinding.objects.bulk_create(fraud)
        BonusClaim.objects.bulk_create(claims)
        Vote.objects.bulk_create(votes)
        Comprehensive.objects.bulk_create(comprehensive)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # what autovacuum would have done on a live server


def counts(year) -> dict:
    from django.db import connection

    from appraisal import models as m

    with connection.cursor() as cursor:
        cursor.execute(REPORT_COUNTS_SQL, [year.pk])
        total, on_time, late, missing = cursor.fetchone()
    rows = {
        "units": m.AssessedUnit.objects.filter(year=year).count(),
        "indicators": m.Indicator.objects.filter(year=year).count(),
        "reports": total,
        "reports_on_time": on_time,
        "reports_late": late,
        "reports_never_submitted": missing,
        "scores": m.Score.objects.filter(year=year).count(),
    }
    for name, model in [
        ("adjustments", m.Adjustment),
        ("fraud_findings", m.FraudFinding),
        ("bonus_claims", m.BonusClaim),
        ("votes", m.Vote),
        ("comprehensive", m.Comprehensive),
        ("full_marks_exceptions", m.FullMarksException),
    ]:
        rows[name] = model.objects.filter(year=year).count()
    return rows


# --- measuring ------------------------------------------------------------------------------------


def floor(year_id: int) -> list:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(FLOOR_SQL, [year_id])
        return cursor.fetchall()


def timings(year) -> tuple[dict, dict]:
    """Median seconds of RUNS rounds of floor, compute and document (after one warm-up round),
    and what the warm-up round returned."""
    from appraisal.results import compute, results_document

    seen: dict[str, list[float]] = {"floor": [], "ranking": [], "compute": [], "document": []}
    returned = {}
    for run in range(RUNS + 1):
        gc.collect()
        started = time.perf_counter()
        rows = floor(year.pk)
        elapsed_floor = time.perf_counter() - started
        gc.collect()
        started = time.perf_counter()
        ranking = compute(year, details=False)
        elapsed_ranking = time.perf_counter() - started
        del ranking
        gc.collect()
        started = time.perf_counter()
        computed = compute(year)
        elapsed_compute = time.perf_counter() - started
        started = time.perf_counter()
        document = results_document(computed)
        elapsed_document = time.perf_counter() - started
        if not run:
            returned = {
                "units": len(document["units"]),
                "exclusions": sum(len(u["exclusions"]) for u in document["units"]),
                "cap_violations": len(document["cap_violations"]),
                "finalisable": document["finalisable"],
                "floor_rows": len(rows),
            }
        del computed, document, rows
        if run:  # run 0 warms the caches
            seen["floor"].append(elapsed_floor)
            seen["ranking"].append(elapsed_ranking)
            seen["compute"].append(elapsed_compute)
            seen["document"].append(elapsed_document)
    medians = {f"{name}_s": round(statistics.median(values), 3) for name, values in seen.items()}
    medians["results_s"] = round(medians["compute_s"] + medians["document_s"], 3)
    medians["runs_s"] = {name: [round(v, 3) for v in values] for name, values in seen.items()}
    return medians, returned


def breakdown(year) -> dict:
    """One compute() with its queries captured: their number, the time executing them (server
    and transfer; psycopg converts the rows when they are fetched, later), the engine's time
    (appraisal.domain.compute_results) and the rest (fetching rows, building the inputs)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from appraisal import domain
    from appraisal.results import compute

    engine = {"seconds": 0.0}
    real = domain.compute_results

    def timed_engine(*args, **kwargs):
        started = time.perf_counter()
        try:
            return real(*args, **kwargs)
        finally:
            engine["seconds"] += time.perf_counter() - started

    gc.collect()
    domain.compute_results = timed_engine
    try:
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            computed = compute(year)
            elapsed = time.perf_counter() - started
    finally:
        domain.compute_results = real
    del computed
    queries = [
        {"seconds": round(float(q["time"]), 3), "sql": q["sql"]} for q in captured.captured_queries
    ]
    database = sum(q["seconds"] for q in queries)
    return {
        "queries": len(queries),
        "total_s": round(elapsed, 3),
        "executing_queries_s": round(database, 3),
        "engine_s": round(engine["seconds"], 3),
        "fetch_rows_and_build_inputs_s": round(elapsed - database - engine["seconds"], 3),
        "sql": queries,
    }


def _execution_ms(plan: str) -> float | None:
    found = re.search(r"Execution Time: ([\d.]+) ms", plan)
    return float(found.group(1)) if found else None


def explain(sql: str, params=None) -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        text = "\n".join(row[0] for row in cursor.fetchall())
    return {
        "sql": " ".join(sql.split())[:800],
        "execution_ms": _execution_ms(text),
        "plan": text.splitlines(),
    }


def explains(year_id: int, sql: list[dict]) -> dict:
    """EXPLAIN (ANALYZE, BUFFERS) of the floor and of compute()'s queries on appraisal_report; the
    first of those with a GROUP BY is the main aggregate."""
    result = {"floor": explain(FLOOR_SQL, [year_id])}
    on_reports = [q["sql"] for q in sql if "appraisal_report" in q["sql"]]
    grouped = [s for s in on_reports if "GROUP BY" in s]
    if grouped:
        result["main_aggregate"] = explain(grouped[0])
    for n, text in enumerate(s for s in on_reports if s not in grouped[:1]):
        result[f"other_report_query_{n + 1}"] = explain(text)
    return result


def profile(year, top: int = PROFILE_TOP) -> dict:
    """The functions with the most self time in one compute(), and the project's functions with
    the most cumulative time (cProfile roughly doubles the time of code making many calls)."""
    from appraisal.results import compute

    gc.collect()
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    compute(year)
    profiler.disable()
    elapsed = time.perf_counter() - started
    rows = []
    for (filename, line, name), (_cc, calls, tottime, cumtime, _) in pstats.Stats(
        profiler
    ).stats.items():
        where = re.sub(r".*/site-packages/", "", filename.replace(str(ROOT) + "/", ""))
        rows.append((tottime, cumtime, calls, f"{where}:{line}({name})"))

    def line(row) -> str:
        tottime, cumtime, calls, label = row
        return f"{tottime:7.3f} s self {cumtime:7.3f} s cum {calls:8d} calls  {label}"

    ours = [r for r in rows if r[3].startswith(("appraisal/", "core/"))]
    return {
        "profiled_total_s": round(elapsed, 3),
        "top_self_time": [line(r) for r in sorted(rows, reverse=True)[:top]],
        "project_cumulative": [line(r) for r in sorted(ours, key=lambda r: -r[1])[:12]],
    }


def engine_costs(year, number: int = 20_000) -> dict:
    """What the engine's per-indicator objects cost: microseconds per indicator to build its
    input (IndicatorInput) and its result (IndicatorResult) — NamedTuples — against
    indicator_score() as a whole and a plain tuple of the same fields, on a real input with and
    without a late report; times the number of indicators, against compute()."""
    import timeit

    from appraisal import domain
    from appraisal.results import compute

    captured: dict = {}
    real = domain.compute_results

    def spy(inputs, *args, **kwargs):
        captured["inputs"] = inputs
        return real(inputs, *args, **kwargs)

    domain.compute_results = spy
    try:
        compute(year)
    finally:
        domain.compute_results = real
    indicators = [i for u in captured.pop("inputs") for c in u.categories for i in c.indicators]
    plain = next(i for i in indicators if not i.not_on_time)
    late = next(i for i in indicators if i.not_on_time)
    fields = plain._asdict()
    result = domain.indicator_score(plain)
    result_fields = result._asdict()
    values = tuple(result_fields.values())

    def us(fn) -> float:
        return round(min(timeit.repeat(fn, number=number, repeat=3)) / number * 1e6, 2)

    per = {
        "IndicatorInput_us": us(lambda: domain.IndicatorInput(**fields)),
        "IndicatorResult_us": us(lambda: domain.IndicatorResult(**result_fields)),
        "tuple_of_the_same_fields_us": us(lambda: tuple(values)),
        "indicator_score_us": us(lambda: domain.indicator_score(plain)),
        "indicator_score_one_late_report_us": us(lambda: domain.indicator_score(late)),
    }
    n = len(indicators)
    dataclass_s = (per["IndicatorInput_us"] + per["IndicatorResult_us"]) * n / 1e6
    return {
        "indicators": n,
        "per_indicator": per,
        "input_and_result_dataclasses_s": round(dataclass_s, 3),
        "indicator_score_all_s": round(per["indicator_score_us"] * n / 1e6, 3),
    }


# --- memory: a fresh process per size ----------------------------------------------------------


def _rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _reset_peak() -> None:
    """Reset the process's peak resident set (VmHWM, what ru_maxrss reports; Linux ≥ 4.0). The
    child's ru_maxrss would otherwise start at the parent's size when it was spawned."""
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")


def _peak() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def memory_child(db_name: str, year_id: int) -> None:
    """Run in a fresh interpreter (so that nothing freed earlier hides the growth): the peak
    resident set above the start of the floor, of compute() and of results_document(), then the
    same under tracemalloc (Python allocations only). Prints JSON."""
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    from appraisal.models import AssessmentYear
    from appraisal.results import compute, results_document

    settings.DATABASES["default"]["NAME"] = connection.settings_dict["NAME"] = db_name
    year = AssessmentYear.objects.get(pk=year_id)
    out: dict[str, float] = {}

    gc.collect()
    base = _rss()
    _reset_peak()
    rows = floor(year_id)
    out["floor_peak_rss_growth_mb"] = (_peak() - base) / MB
    del rows
    gc.collect()
    base = _rss()
    out["rss_before_compute_mb"] = base / MB
    _reset_peak()
    computed = compute(year)
    out["compute_peak_rss_growth_mb"] = (_peak() - base) / MB
    document = results_document(computed)
    out["compute_and_document_peak_rss_growth_mb"] = (_peak() - base) / MB
    del computed, document
    gc.collect()

    tracemalloc.start()
    rows = floor(year_id)
    out["floor_tracemalloc_peak_mb"] = tracemalloc.get_traced_memory()[1] / MB
    del rows
    gc.collect()
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    computed = compute(year)
    current, peak = tracemalloc.get_traced_memory()
    out["compute_tracemalloc_peak_mb"] = (peak - before) / MB
    out["computed_retained_mb"] = (current - before) / MB
    tracemalloc.reset_peak()
    document = results_document(computed)
    after, peak = tracemalloc.get_traced_memory()
    out["document_tracemalloc_peak_mb"] = (peak - current) / MB
    out["document_retained_mb"] = (after - current) / MB
    del computed, document
    tracemalloc.stop()
    print(json.dumps({k: round(v, 1) for k, v in out.items()}))


def memory(db_name: str, year_id: int) -> dict:
    child = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--memory", db_name, str(year_id)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(child.stdout.strip().splitlines()[-1])


# --- main -----------------------------------------------------------------------------------------


def measure_step(year, db_name: str, *, full: bool) -> dict:
    step: dict = {"rows": counts(year)}
    step["seconds"], step["results"] = timings(year)
    secs = step["seconds"]
    step["ratio_to_floor"] = {
        "ranking": round(secs["ranking_s"] / secs["floor_s"], 2),
        "compute": round(secs["compute_s"] / secs["floor_s"], 2),
        "compute_and_document": round(secs["results_s"] / secs["floor_s"], 2),
    }
    step["breakdown"] = breakdown(year)
    explained = explains(year.pk, step["breakdown"]["sql"])
    if full:
        step["explain"] = explained
        step["profile"] = profile(year)
        step["engine_costs"] = engine_costs(year)
    else:
        step["explain_execution_ms"] = {k: v["execution_ms"] for k, v in explained.items()}
    step["memory_mb"] = memory(db_name, year.pk)
    return step


def main() -> None:
    import django

    django.setup()
    from django.db import connection

    results: dict[str, object] = {
        "machine": platform.platform(),
        "python": platform.python_version(),
        "database": connection.vendor,
        "scale": benchdata.scale(),
    }
    rng = random.Random(SEED)
    with benchdata.throwaway_database("scoring") as db_name:
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            results["postgresql"] = cursor.fetchone()[0]
            server = {}
            for name in ("shared_buffers", "work_mem", "max_parallel_workers_per_gather", "jit"):
                cursor.execute(f"SHOW {name}")
                server[name] = cursor.fetchone()[0]
            results["postgresql_settings"] = server
        results["database_name"] = db_name
        results["shape"] = {
            "categories": {code: points for code, _n, _d, points, _c in CATEGORIES},
            "indicators": sum(c[4] for c in CATEGORIES),
            "required_reports_per_indicator": REQUIRED_REPORTS,
            "late_share": LATE_SHARE,
            "never_submitted_share": MISSING_SHARE,
            "steps_units": list(STEPS),
            "runs_per_timing": RUNS,
        }
        started = time.perf_counter()
        org = benchdata.create_org(UNITS)
        year, categories = load_year(org)
        communities = org["communities"]
        results["load_seconds"] = {"organisation": round(time.perf_counter() - started, 1)}

        steps: dict[str, dict] = {}
        done = 0
        for n, size in enumerate(STEPS, start=1):
            started = time.perf_counter()
            load_units(rng, year, categories, communities[done:size], seed=n / 10)
            done = size
            results["load_seconds"][f"to_{size}_units"] = round(time.perf_counter() - started, 1)
            step = measure_step(year, db_name, full=size == UNITS)
            steps[str(size)] = step
            print(
                f"{size:5d} units: ranking {step['seconds']['ranking_s']:.2f} s, "
                f"compute {step['seconds']['compute_s']:.2f} s, document "
                f"{step['seconds']['document_s']:.2f} s, floor {step['seconds']['floor_s']:.2f} s "
                f"(×{step['ratio_to_floor']['compute_and_document']}), "
                f"{step['breakdown']['queries']} queries",
                file=sys.stderr,
            )
        results["steps"] = steps

    small, large = (steps[str(size)] for size in STEPS)
    pair = lambda part, key: [small[part][key], large[part][key]]  # noqa: E731
    ratio = large["ratio_to_floor"]["ranking"]
    queries = pair("breakdown", "queries")
    results["summary"] = {
        "units": list(STEPS),
        "reports": pair("rows", "reports"),
        "ranking_s": pair("seconds", "ranking_s"),
        "ranking_ratio_to_floor": [small["ratio_to_floor"]["ranking"], ratio],
        "compute_s": pair("seconds", "compute_s"),
        "document_s": pair("seconds", "document_s"),
        "floor_s": pair("seconds", "floor_s"),
        "ratio_to_floor": [
            small["ratio_to_floor"]["compute_and_document"],
            large["ratio_to_floor"]["compute_and_document"],
        ],
        "growth_from_half_to_full": {
            key: round(large["seconds"][f"{key}_s"] / small["seconds"][f"{key}_s"], 2)
            for key in ("ranking", "compute", "document", "floor")
        },
        "compute_tracemalloc_peak_mb": pair("memory_mb", "compute_tracemalloc_peak_mb"),
        "document_tracemalloc_peak_mb": pair("memory_mb", "document_tracemalloc_peak_mb"),
        "compute_and_document_peak_rss_growth_mb": pair(
            "memory_mb", "compute_and_document_peak_rss_growth_mb"
        ),
        "queries": queries,
        "queries_equal": queries[0] == queries[1],
        "compute_breakdown_s": {
            key: large["breakdown"][key]
            for key in ("executing_queries_s", "engine_s", "fetch_rows_and_build_inputs_s")
        },
        "aim": f"ranking (every figure of every unit) <= {AIM} × floor",
        "aim_met": ratio <= AIM,
    }
    big, engine = large["breakdown"], large["engine_costs"]
    results["notes"] = (
        f"Median of {RUNS} runs after a warm-up, data in the page cache. At {STEPS[1]} units: "
        f"{big['executing_queries_s']} s executing compute()'s {big['queries']} queries, "
        f"{big['engine_s']} s in the engine (its IndicatorInput and IndicatorResult tuples "
        f"alone ~{engine['input_and_result_dataclasses_s']} s), "
        f"{big['fetch_rows_and_build_inputs_s']} s "
        "fetching rows (Django's timestamptz loader is pure Python) and building the inputs. "
        "Memory: a fresh process per size; peak RSS growth includes what psycopg holds, "
        "tracemalloc only Python allocations. No report row is absent (late or never submitted "
        "only), so the query for never-created periods does not run."
    )
    (OUT / "scoring.json").write_text(
        json.dumps(results, indent=2, ensure_ascii=False, default=str)
    )
    sm = results["summary"]
    show = lambda values, unit="": " / ".join(f"{v}{unit}" for v in values)  # noqa: E731
    print(f"results of one year at {show(STEPS)} units ({show(sm['reports'])} reports):")
    print(f"  ranking (figures)    {show(sm['ranking_s'], ' s')}")
    print(
        f"  ranking / floor      {show(sm['ranking_ratio_to_floor'])} "
        f"(aim {AIM}: {'met' if sm['aim_met'] else 'not met'})"
    )
    print(f"  compute() + details  {show(sm['compute_s'], ' s')}")
    print(f"  results_document()   {show(sm['document_s'], ' s')}")
    print(f"  floor (GROUP BY)     {show(sm['floor_s'], ' s')}")
    print(f"  full document/floor  {show(sm['ratio_to_floor'])}")
    print(
        f"  queries              {show(queries)} "
        f"({'equal' if sm['queries_equal'] else 'NOT EQUAL'})"
    )
    print(f"  tracemalloc peak     {show(sm['compute_tracemalloc_peak_mb'], ' MB')} (compute)")
    print(
        f"  peak RSS growth      {show(sm['compute_and_document_peak_rss_growth_mb'], ' MB')} "
        "(compute + document)"
    )
    print(f"compute() at {STEPS[1]} units under cProfile, most self time:")
    print("\n".join("  " + line for line in large["profile"]["top_self_time"][:8]))
    print(f"written to {(OUT / 'scoring.json').relative_to(ROOT)}")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--memory":
        memory_child(sys.argv[2], int(sys.argv[3]))
    else:
        main()
