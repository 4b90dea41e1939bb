"""Independent oracle for the results of a year bundle (scoring.md, year-bundle.md "Results").

Written from the two specs alone and deliberately naive (dicts, loops, O(n²) ranking), sharing no
code with `appraisal/`, so that `appraisal_results` can be checked figure for figure against it.
Decisions where the specs are open are the ones agreed with the app's author; each is marked
"Agreed:" where it is applied. The oracle trusts its input: it is for valid bundles only.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
CENT = Decimal("0.01")
ZERO = Decimal("0.00")

# scoring.md's defaults, in the bundle's own spelling.
DEFAULT_SETTINGS: dict[str, Any] = {
    "performance_weight": "0.80",
    "satisfaction_weight": "0.20",
    "full_marks_ratio": "0.15",
    "bonus_cap": "5.00",
    "bonus_points": {"district": "1.00", "city": "2.00", "province": "3.00", "national": "5.00"},
    "vote_values": {"satisfied": "100", "basically": "60", "dissatisfied": "0"},
    "debriefing_weight": "0.50",
    "democratic_weight": "0.50",
    "rank_bonus": ["0.30", "0.20", "0.10"],
    "bottom_penalty": ["0.20", "0.10"],
    "grade_bands": [
        {"grade": "优胜", "min": "90.00"},
        {"grade": "合格", "min": "60.00"},
        {"grade": "不合格", "min": "0.00"},
    ],
}

VOTE_KINDS = ("debriefing", "democratic")


def q(value: Decimal) -> Decimal:
    """Round half-up to 2 dp, the one rounding rule of scoring.md."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def fmt(value: Decimal) -> str:
    """A results decimal: exactly 2 dp, and never "-0.00"."""
    value = q(value)
    if value.is_zero():
        value = ZERO
    return f"{value:f}"


def parse_time(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError(f"time without offset: {text!r}")
    return value


def iso(value: datetime) -> str:
    # Agreed: times are echoed as ISO-8601 in Asia/Shanghai with seconds.
    return value.astimezone(SHANGHAI).isoformat()


def effective_settings(bundle: dict) -> dict[str, Any]:
    """The bundle's settings over scoring.md's defaults, as Decimals.

    A missing top-level key takes its default. For the two mappings (bonus_points, vote_values) a
    missing inner key also takes its default: the specs do not say, and the generator never writes
    a partial mapping, so this choice is not exercised against the app.
    """
    given = bundle.get("settings") or {}
    raw: dict[str, Any] = {}
    for key, default in DEFAULT_SETTINGS.items():
        value = given.get(key, default)
        if isinstance(default, dict):
            value = {**default, **value}
        raw[key] = value
    return {
        "performance_weight": Decimal(raw["performance_weight"]),
        "satisfaction_weight": Decimal(raw["satisfaction_weight"]),
        "full_marks_ratio": Decimal(raw["full_marks_ratio"]),
        "bonus_cap": Decimal(raw["bonus_cap"]),
        "bonus_points": {k: Decimal(v) for k, v in raw["bonus_points"].items()},
        "vote_values": {k: Decimal(v) for k, v in raw["vote_values"].items()},
        "debriefing_weight": Decimal(raw["debriefing_weight"]),
        "democratic_weight": Decimal(raw["democratic_weight"]),
        "rank_bonus": [Decimal(v) for v in raw["rank_bonus"]],
        "bottom_penalty": [Decimal(v) for v in raw["bottom_penalty"]],
        "grade_bands": [(band["grade"], Decimal(band["min"])) for band in raw["grade_bands"]],
    }


def _first(rows: list[dict], **match: Any) -> dict | None:
    for row in rows:
        if all(row.get(key) == value for key, value in match.items()):
            return row
    return None


def _index(rows: list[dict], *fields: str) -> dict[tuple, dict]:
    """The first row for each value of `fields` (a lookup table, to keep the oracle quick)."""
    table: dict[tuple, dict] = {}
    for row in rows:
        table.setdefault(tuple(row[field] for field in fields), row)
    return table


def indicator_outcome(
    reports: dict[tuple, dict], scores: dict[tuple, dict], unit: str, indicator: dict
) -> dict[str, Any]:
    """§1: cap, score and report exclusions of one indicator for one unit."""
    code = indicator["code"]
    max_points = Decimal(indicator["max_points"])
    required = int(indicator["required_reports"])
    exclusions: list[dict] = []
    on_time = 0
    for period in range(1, required + 1):
        report = reports.get((unit, code, period))
        if report is None:
            # Results are year-end results: a period with no report at all is missing.
            exclusions.append(
                {
                    "kind": "report",
                    "indicator": code,
                    "period": period,
                    "due_at": None,
                    "submitted_at": None,
                }
            )
            continue
        due = parse_time(report["due_at"])
        submitted_text = report.get("submitted_at")
        if submitted_text is None:
            exclusions.append(
                {
                    "kind": "report",
                    "indicator": code,
                    "period": period,
                    "due_at": iso(due),
                    "submitted_at": None,
                }
            )
            continue
        submitted = parse_time(submitted_text)
        # Agreed: exactly at the due time is on time; times compare as instants.
        if submitted > due:
            exclusions.append(
                {
                    "kind": "report",
                    "indicator": code,
                    "period": period,
                    "due_at": iso(due),
                    "submitted_at": iso(submitted),
                }
            )
        else:
            on_time += 1
    cap = max_points if required == 0 else q(max_points * on_time / required)
    entry = scores.get((unit, code))
    if entry is None:
        given = ZERO
    elif entry.get("verified_score") is not None:
        given = Decimal(entry["verified_score"])
    else:
        given = Decimal(entry["department_score"])
    return {"cap": cap, "given": given, "score": min(given, cap), "exclusions": exclusions}


def claim_reason(claim: dict, as_of: datetime) -> str | None:
    """§3: None when the claim counts, else why not.

    Agreed: the first reason that applies, in the order late, not_approved, publicity_not_ended.
    """
    declared = claim.get("declared_at")
    declare_by = claim.get("declare_by")
    if declared is None or (
        declare_by is not None and parse_time(declared) > parse_time(declare_by)
    ):
        return "late"
    if claim.get("status") != "approved":
        return "not_approved"
    ends = claim.get("publicity_ends_at")
    if ends is None or parse_time(ends) > as_of:
        return "publicity_not_ended"
    return None


def vote_score(vote: dict | None, values: dict[str, Decimal]) -> Decimal:
    """§4: weighted share of ballots; no entry or no ballots scores 0."""
    if vote is None:
        return ZERO
    counts = {key: int(vote[key]) for key in ("satisfied", "basically", "dissatisfied")}
    ballots = sum(counts.values())
    if ballots == 0:
        return ZERO
    return q(sum(values[key] * counts[key] for key in counts) / ballots)


def explain(bundle: dict, as_of: str | None = None) -> dict[str, Any]:
    """Everything results() reports, unformatted, plus the intermediate figures (raw sums)."""
    settings = effective_settings(bundle)
    as_of_text = as_of if as_of is not None else bundle.get("as_of")
    if as_of_text is None:
        raise ValueError("the oracle needs an as_of (argument or bundle)")
    as_of_at = parse_time(as_of_text)

    unit_codes = [unit["code"] for unit in bundle["units"]]
    categories = bundle["categories"]
    indicators = bundle.get("indicators") or []
    adjustments = bundle.get("adjustments") or []
    frauds = bundle.get("fraud_findings") or []
    claims = bundle.get("bonus_claims") or []
    votes = bundle.get("votes") or []
    comprehensive = bundle.get("comprehensive") or []
    reports = _index(bundle.get("reports") or [], "unit", "indicator", "period")
    scores = _index(bundle.get("scores") or [], "unit", "indicator")

    rows: dict[str, dict[str, Any]] = {}
    for unit in unit_codes:
        outcomes = {
            ind["code"]: indicator_outcome(reports, scores, unit, ind) for ind in indicators
        }
        category_scores: dict[str, Decimal] = {}
        raw_sums: dict[str, Decimal] = {}
        for category in categories:
            code = category["code"]
            max_points = Decimal(category["max_points"])
            raw = sum(
                (outcomes[ind["code"]]["score"] for ind in indicators if ind["category"] == code),
                ZERO,
            ) + sum(
                (
                    Decimal(adj["points"])
                    for adj in adjustments
                    if adj["unit"] == unit and adj["category"] == code
                ),
                ZERO,
            )
            raw_sums[code] = raw
            score = q(min(max(raw, ZERO), max_points))
            # Art. 19: a fraud finding zeroes the category, whatever else holds.
            if _first(frauds, unit=unit, category=code) is not None:
                score = ZERO
            category_scores[code] = score

        exclusions: list[dict] = []
        for code in sorted(outcomes):
            exclusions.extend(outcomes[code]["exclusions"])

        counted = ZERO
        for index, claim in enumerate(claims):
            if claim["unit"] != unit:
                continue
            reason = claim_reason(claim, as_of_at)
            if reason is None:
                counted += settings["bonus_points"][claim["level"]]
            else:
                exclusions.append({"kind": "bonus", "claim": index, "reason": reason})
        bonus = q(min(counted, settings["bonus_cap"]))
        performance = q(sum(category_scores.values(), ZERO) + bonus)

        debriefing = vote_score(
            _first(votes, unit=unit, kind="debriefing"), settings["vote_values"]
        )
        democratic = vote_score(
            _first(votes, unit=unit, kind="democratic"), settings["vote_values"]
        )
        satisfaction = q(
            settings["debriefing_weight"] * debriefing + settings["democratic_weight"] * democratic
        )
        total = q(
            settings["performance_weight"] * performance
            + settings["satisfaction_weight"] * satisfaction
        )
        rows[unit] = {
            "unit": unit,
            "outcomes": outcomes,
            "raw_sums": raw_sums,
            "categories": category_scores,
            "counted_claims": counted,
            "bonus": bonus,
            "performance": performance,
            "debriefing": debriefing,
            "democratic": democratic,
            "satisfaction": satisfaction,
            "total": total,
            "exclusions": exclusions,
        }

    # §5: competition ranking from both ends on (total, performance, satisfaction).
    def key(row: dict) -> tuple[Decimal, Decimal, Decimal]:
        return (row["total"], row["performance"], row["satisfaction"])

    for row in rows.values():
        mine = key(row)
        row["rank"] = 1 + sum(1 for other in rows.values() if key(other) > mine)
        row["bottom_position"] = 1 + sum(1 for other in rows.values() if key(other) < mine)

    # §6: comprehensive evaluation.
    rank_bonus = settings["rank_bonus"]
    bottom_penalty = settings["bottom_penalty"]
    bands = settings["grade_bands"]
    for row in rows.values():
        adjustment = ZERO
        if row["rank"] <= len(rank_bonus):
            adjustment += rank_bonus[row["rank"] - 1]
        if row["bottom_position"] <= len(bottom_penalty):
            adjustment -= bottom_penalty[row["bottom_position"] - 1]
        adjustment = q(adjustment)
        # Agreed: the veto follows the length of the bottom penalty list, not a fixed 2.
        veto = row["bottom_position"] <= len(bottom_penalty)
        entry = _first(comprehensive, unit=row["unit"])
        adjusted = None
        grade = None
        grade_before_veto = None
        advanced = False
        if entry is not None:
            advanced = bool(entry.get("advanced"))
            adjusted = q(Decimal(entry["score"]) + adjustment)
            # The first band reached; below every band (only possible when the last band's
            # minimum is above the score) the last band. Not exercised: the generator's last
            # band is always 0.00 and adjusted scores stay above it.
            index = next(
                (i for i, (_, minimum) in enumerate(bands) if adjusted >= minimum),
                len(bands) - 1,
            )
            grade_before_veto = bands[index][0]
            # 否优降档: a vetoed unit cannot hold the top band.
            if veto and index == 0 and len(bands) > 1:
                index = 1
            grade = bands[index][0]
        row.update(
            comprehensive_adjustment=adjustment,
            adjusted_comprehensive=adjusted,
            grade=grade,
            grade_before_veto=grade_before_veto,
            advanced=advanced,
            excellence_veto=veto,
            advanced_withdrawn=advanced and veto,
        )

    # §2: full-marks cap, one check per category, in category code order.
    assessed = len(unit_codes)
    allowed = int((settings["full_marks_ratio"] * assessed).to_integral_value(ROUND_FLOOR))
    excepted = {entry["category"] for entry in bundle.get("full_marks_exceptions") or []}
    violations = []
    for category in sorted(categories, key=lambda c: c["code"]):
        code = category["code"]
        max_points = Decimal(category["max_points"])
        full = sorted(u for u in unit_codes if rows[u]["categories"][code] == max_points)
        if len(full) > allowed:
            violations.append(
                {
                    "category": code,
                    "full_marks_units": full,
                    "allowed": allowed,
                    "exception": code in excepted,
                }
            )

    ordered = sorted(rows.values(), key=lambda row: (row["rank"], row["unit"]))
    return {
        "year": bundle["year"],
        "as_of": iso(as_of_at),
        "settings": settings,
        "cap_violations": violations,
        "finalisable": all(v["exception"] for v in violations),
        "units": ordered,
    }


def results(bundle: dict, as_of: str | None = None) -> dict:
    """The results structure of year-bundle.md, as `appraisal_results --format json` prints it."""
    full = explain(bundle, as_of)
    units = []
    for row in full["units"]:
        adjusted = row["adjusted_comprehensive"]
        units.append(
            {
                "unit": row["unit"],
                "categories": {code: fmt(score) for code, score in row["categories"].items()},
                "bonus": fmt(row["bonus"]),
                "performance": fmt(row["performance"]),
                "debriefing": fmt(row["debriefing"]),
                "democratic": fmt(row["democratic"]),
                "satisfaction": fmt(row["satisfaction"]),
                "total": fmt(row["total"]),
                "rank": row["rank"],
                "bottom_position": row["bottom_position"],
                "comprehensive_adjustment": fmt(row["comprehensive_adjustment"]),
                "adjusted_comprehensive": None if adjusted is None else fmt(adjusted),
                "grade": row["grade"],
                "excellence_veto": row["excellence_veto"],
                "advanced_withdrawn": row["advanced_withdrawn"],
                "exclusions": row["exclusions"],
            }
        )
    return {
        "year": full["year"],
        "as_of": full["as_of"],
        "finalisable": full["finalisable"],
        "cap_violations": full["cap_violations"],
        "units": units,
    }
