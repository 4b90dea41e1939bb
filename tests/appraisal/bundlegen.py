"""Random, valid year bundles (year-bundle.md) for the oracle tests, and one small fixed bundle.

`random_bundle(rng)` draws a bundle that exercises the awkward corners of scoring.md: few units,
ties in total (at rank 3, at the bottom, and on total alone with different performance), late,
missing and exactly-on-time reports, indicators without reports, verified scores, adjustments that
push a category below 0 or above its maximum, fraud, full-marks-cap violations with and without
exceptions, bonus claims of every status, lateness and publicity, empty votes, odd settings and
units without a comprehensive score. Everything it writes is valid input: category maxima add up
to 100, scores lie in [0, max_points] with 2 dp, decimals are 2-dp strings, times carry +08:00.
"""

from __future__ import annotations

import calendar
import copy
import itertools
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from tests.appraisal import oracle

SHANGHAI = ZoneInfo("Asia/Shanghai")
FORMAT = "rectify-year-bundle/1"

CATEGORY_POOL = [
    ("DJ", "基层党建", "组织办"),
    ("FZ", "法治建设", "司法所"),
    ("LZ", "党风廉政建设", "纪检监察室"),
    ("QT", "群团工作", "群团办"),
    ("XC", "宣传思想文化", "宣传办"),
    ("ZZ", "组织建设", "组织办"),
]
INDICATOR_NAMES = [
    "三会一课落实",
    "主题党日开展",
    "党员发展质量",
    "廉政教育覆盖",
    "意识形态工作",
    "网格党建",
    "党费收缴",
    "志愿服务",
    "阵地建设",
    "理论学习",
    "组织生活会",
    "信访化解",
]
PLACES = [
    "东湖",
    "西山",
    "南湖",
    "北岭",
    "青石",
    "桂花",
    "梧桐",
    "金沙",
    "银杏",
    "枫林",
    "清泉",
    "长安",
    "和平",
    "幸福",
    "光明",
    "新华",
    "滨江",
    "翠竹",
    "紫荆",
    "红旗",
    "锦绣",
    "花园",
    "松涛",
    "春晖",
    "丽景",
    "望江",
    "福源",
    "安居",
]
ORG_KINDS = ["社区党委", "社区党总支", "村党支部", "两新党委"]
ADJUSTMENT_REASONS = [
    "专项检查发现问题",
    "日常督查扣分",
    "工作创新加分",
    "上级通报表扬",
    "台账不全",
]
ADJUSTMENT_SOURCES = ["专项检查", "日常督查", "上级通报", "spot check"]
CLAIM_TITLES = ["获评先进基层党组织", "典型经验被推广", "获评文明社区", "志愿服务项目获奖"]
LEVELS = ["district", "city", "province", "national"]
STATUSES = ["declared", "office_reviewed", "approved", "rejected"]
GRADE_BAND_SETS = [
    [("优胜", "90.00"), ("合格", "60.00"), ("不合格", "0.00")],
    [("优秀", "95.00"), ("良好", "85.00"), ("合格", "60.00"), ("不合格", "0.00")],
    [("优胜", "80.00"), ("不合格", "0.00")],
    [("好", "92.50"), ("较好", "88.00"), ("一般", "70.00"), ("较差", "0.00")],
]
SETTINGS_MODES = ["absent", "empty", "default", "partial", "odd"]
PROFILE_KEYS = (
    "reports",
    "scores",
    "adjustments",
    "fraud_findings",
    "bonus_claims",
    "votes",
    "comprehensive",
)


def money(cents: int) -> str:
    """A 2-dp decimal string from a whole number of cents."""
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def cents_of(text: str) -> int:
    return int(Decimal(text) * 100)


def _month_end(year: int, month: int, hour: int, minute: int, second: int) -> datetime:
    day = calendar.monthrange(year, month)[1]
    return datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)


def _odd_settings(rng: random.Random) -> dict[str, Any]:
    performance = rng.choice(["0.60", "0.70", "0.75", "0.80", "0.85", "0.90"])
    debriefing = rng.choice(["0.30", "0.40", "0.50", "0.60", "0.70"])
    steps = ["0.50", "0.40", "0.30", "0.20", "0.10", "0.05"]
    return {
        "performance_weight": performance,
        "satisfaction_weight": money(100 - cents_of(performance)),
        "full_marks_ratio": rng.choice(["0.05", "0.10", "0.15", "0.20", "0.25", "0.30", "0.50"]),
        "bonus_cap": rng.choice(["0.00", "2.50", "3.00", "5.00", "8.00", "10.00"]),
        "bonus_points": {
            level: rng.choice(["0.50", "1.00", "1.50", "2.00", "3.00", "4.00", "6.00"])
            for level in LEVELS
        },
        "vote_values": {
            "satisfied": rng.choice(["100", "100.00", "95"]),
            "basically": rng.choice(["60", "70", "80", "50.00"]),
            "dissatisfied": rng.choice(["0", "0.00", "10", "20"]),
        },
        "debriefing_weight": debriefing,
        "democratic_weight": money(100 - cents_of(debriefing)),
        "rank_bonus": sorted(rng.sample(steps, rng.randint(0, 5)), key=Decimal, reverse=True),
        "bottom_penalty": sorted(rng.sample(steps, rng.randint(0, 4)), key=Decimal, reverse=True),
        "grade_bands": [
            {"grade": grade, "min": minimum} for grade, minimum in rng.choice(GRADE_BAND_SETS)
        ],
    }


def _settings(rng: random.Random, mode: str) -> dict[str, Any] | None:
    if mode == "absent":
        return None
    if mode == "empty":
        return {}
    if mode == "default":
        return copy.deepcopy(oracle.DEFAULT_SETTINGS)
    odd = _odd_settings(rng)
    if mode == "odd":
        return odd
    # partial: some top-level keys, with odd values; the rest default. Weights travel in pairs so
    # that the two always add up to 1.
    groups = [
        ("performance_weight", "satisfaction_weight"),
        ("debriefing_weight", "democratic_weight"),
        ("full_marks_ratio",),
        ("bonus_cap",),
        ("bonus_points",),
        ("vote_values",),
        ("rank_bonus",),
        ("bottom_penalty",),
        ("grade_bands",),
    ]
    chosen = rng.sample(groups, rng.randint(1, len(groups) - 1))
    return {key: odd[key] for group in chosen for key in group}


def _split_hundred(rng: random.Random, parts: int) -> list[int]:
    """`parts` category maxima in cents adding up to 100.00, each at least 5.00."""
    if parts == 4 and rng.random() < 0.3:
        return [2500, 4000, 2000, 1500]
    step = 100 if rng.random() < 0.6 else 1
    while True:
        cuts = sorted(rng.sample(range(step, 10000, step), parts - 1))
        bounds = [0, *cuts, 10000]
        sizes = [b - a for a, b in itertools.pairwise(bounds)]
        if min(sizes) >= 500:
            return sizes


class _Clock:
    """Time formatting: +08:00 always, or now and then another offset (same instant)."""

    def __init__(self, rng: random.Random, mixed_offsets: bool):
        self.rng = rng
        self.mixed = mixed_offsets

    def __call__(self, moment: datetime | None) -> str | None:
        if moment is None:
            return None
        if self.mixed and self.rng.random() < 0.3:
            return moment.astimezone(UTC).isoformat()
        return moment.astimezone(SHANGHAI).isoformat()


def random_bundle(
    rng: random.Random,
    *,
    n_units: int | None = None,
    year: int | None = None,
    settings_mode: str | None = None,
    twin_rate: float | None = None,
    force_ties: bool = True,
    secondary_tie: bool | None = None,
    mixed_offsets: bool = False,
) -> dict:
    """A valid year bundle drawn from `rng`.

    n_units: 1–25 (default: drawn, a third of the time fewer than 5).
    settings_mode: one of SETTINGS_MODES (default: drawn).
    twin_rate: chance that a unit copies every input of an earlier one (a tie on all three keys).
    force_ties: add a twin of the unit ranked 3 and of the bottom unit (when there is room).
    secondary_tie: add a pair equal on total but not on performance (default settings only).
    mixed_offsets: write some times in UTC instead of +08:00 (same instants).
    """
    clock = _Clock(rng, mixed_offsets)
    year = year if year is not None else rng.choice([2024, 2025, 2026])
    if n_units is None:
        n_units = rng.randint(1, 4) if rng.random() < 0.33 else rng.randint(5, 25)
    if not 1 <= n_units <= 25:
        raise ValueError("n_units must be 1–25")
    settings_mode = settings_mode or rng.choice(SETTINGS_MODES)
    twin_rate = twin_rate if twin_rate is not None else rng.choice([0.0, 0.1, 0.25])
    settings = _settings(rng, settings_mode)
    as_of = datetime(year + 1, 1, rng.randint(5, 25), rng.choice([9, 10, 15]), 0, tzinfo=SHANGHAI)

    # Catalogue: categories in code order, maxima adding up to 100.
    picked = sorted(rng.sample(CATEGORY_POOL, rng.choice([1, 2, 3, 3, 4, 4, 4, 5])))
    maxima = _split_hundred(rng, len(picked))
    categories = [
        {"code": code, "name": name, "department": dept, "max_points": money(cents)}
        for (code, name, dept), cents in zip(picked, maxima, strict=True)
    ]
    indicators: list[dict] = []
    due_times: dict[tuple[str, int], datetime] = {}
    for category in categories:
        cat_cents = cents_of(category["max_points"])
        for number in range(1, rng.randint(1, 3) + 1):
            if rng.random() < 0.3:
                cents = rng.choice([100, 200, 500, 1000]) if cat_cents >= 1000 else cat_cents
            else:
                cents = rng.randint(100, cat_cents)
            required = rng.choice([0, 0, 1, 2, 3, 4, 4, 6])
            code = f"{category['code']}-{number:02d}"
            indicators.append(
                {
                    "code": code,
                    "category": category["code"],
                    "name": rng.choice(INDICATOR_NAMES),
                    "max_points": money(cents),
                    "required_reports": required,
                }
            )
            hms = rng.choice([(23, 59, 59), (17, 0, 0), (12, 30, 15)])
            for period in range(1, required + 1):
                month = -(-12 * period // required)
                due_times[code, period] = _month_end(year, month, *hms)
    saturated = {
        c["code"]: rng.uniform(0.2, 0.7) for c in categories if rng.random() < 0.4
    }  # categories pushed to full marks by large additions, with each unit's chance

    def unit_profile() -> dict[str, list[dict]]:
        """Every input of one unit, without the "unit" field (so a twin can copy it)."""
        profile: dict[str, list[dict]] = {key: [] for key in PROFILE_KEYS}
        diligence = rng.choice([0.4, 0.7, 0.9, 1.0])
        for indicator in indicators:
            code = indicator["code"]
            for period in range(1, indicator["required_reports"] + 1):
                due = due_times[code, period]
                if rng.random() < 0.05:
                    due += timedelta(days=7)  # an extension granted to this unit
                roll = rng.random()
                if roll < diligence * 0.85:
                    submitted = due - timedelta(seconds=rng.randint(1, 30 * 86400))
                elif roll < diligence:
                    submitted = due  # exactly at the due time: on time
                else:
                    outcome = rng.choice(["late", "never", "absent"])
                    if outcome == "absent":
                        continue
                    submitted = (
                        due + timedelta(seconds=rng.randint(1, 15 * 86400))
                        if outcome == "late"
                        else None
                    )
                profile["reports"].append(
                    {
                        "indicator": code,
                        "period": period,
                        "due_at": clock(due),
                        "submitted_at": clock(submitted),
                    }
                )
            if rng.random() < 0.1:
                continue  # never scored: 0
            max_cents = cents_of(indicator["max_points"])
            roll = rng.random()
            if roll < 0.2:
                department = max_cents
            elif roll < 0.3:
                department = 0
            else:
                department = rng.randint(0, max_cents)
            verified = rng.randint(0, max_cents) if rng.random() < 0.2 else None
            profile["scores"].append(
                {
                    "indicator": code,
                    "department_score": money(department),
                    "verified_score": None if verified is None else money(verified),
                }
            )
        for category in categories:
            code = category["code"]
            cat_cents = cents_of(category["max_points"])
            if code in saturated and rng.random() < saturated[code]:
                profile["adjustments"].append(_adjustment(rng, year, code, cat_cents))
        for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
            category = rng.choice(categories)
            cat_cents = cents_of(category["max_points"])
            roll = rng.random()
            if roll < 0.2:
                points = -rng.randint(cat_cents, cat_cents + 1000)  # below 0
            elif roll < 0.35:
                points = rng.randint(cat_cents // 2, cat_cents)  # likely above max
            else:
                points = rng.choice([-1, 1]) * rng.randint(1, 500)
            profile["adjustments"].append(_adjustment(rng, year, category["code"], points))
        if rng.random() < 0.07:
            profile["fraud_findings"].append(
                {"category": rng.choice(categories)["code"], "reason": "台账材料弄虚作假"}
            )
        for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
            profile["bonus_claims"].append(_claim(rng, year, as_of, clock))
        for kind in oracle.VOTE_KINDS:
            roll = rng.random()
            if roll < 0.08:
                continue  # no vote entry at all
            if roll < 0.16:
                counts = (0, 0, 0)  # a vote with no ballots
            else:
                counts = (rng.randint(0, 60), rng.randint(0, 30), rng.randint(0, 10))
            profile["votes"].append(
                {
                    "kind": kind,
                    "satisfied": counts[0],
                    "basically": counts[1],
                    "dissatisfied": counts[2],
                }
            )
        if rng.random() < 0.85:
            profile["comprehensive"].append(_comprehensive(rng, settings))
        return profile

    profiles: list[dict[str, list[dict]]] = []
    effective = oracle.effective_settings({"settings": settings})
    pair_fits = (
        effective["performance_weight"] == Decimal("0.80")
        and effective["satisfaction_weight"] == Decimal("0.20")
        and effective["vote_values"]["satisfied"] - effective["vote_values"]["dissatisfied"]
        == Decimal(100)
    )
    if secondary_tie is None:
        secondary_tie = rng.random() < 0.4
    want_pair = secondary_tie and pair_fits and n_units >= 4
    reserved = (2 if want_pair else 0) + (2 if force_ties and n_units >= 6 else 0)
    for _ in range(n_units - reserved):
        if profiles and rng.random() < twin_rate:
            profiles.append(copy.deepcopy(rng.choice(profiles)))
        else:
            profiles.append(unit_profile())
    if want_pair:
        profiles.extend(_secondary_pair(rng, year, categories, settings))
    naming = {
        "prefix": "C" if rng.random() < 0.8 else "SQ-",
        "names": [place + rng.choice(ORG_KINDS) for place in rng.sample(PLACES, 25)],
        "shuffle_seed": rng.random(),
        "excepted": {c["code"] for c in categories if rng.random() < 0.35},
    }

    bundle = _materialise(year, as_of, settings, categories, indicators, profiles, naming, clock)
    if force_ties and n_units >= 6:
        # Twin the unit ranked 3 and the bottom unit: equal on all three keys, they share a rank.
        ranked = oracle.results(bundle)["units"]
        codes = [u["code"] for u in bundle["units"]]
        third = next((u["unit"] for u in ranked if u["rank"] == 3), None)
        bottom = next(u["unit"] for u in ranked if u["bottom_position"] == 1)
        for source in (third or rng.choice(codes), bottom):  # the same unit twice: a 3-way tie
            profiles.append(copy.deepcopy(profiles[codes.index(source)]))
        bundle = _materialise(
            year, as_of, settings, categories, indicators, profiles, naming, clock
        )
    return bundle


def _adjustment(rng: random.Random, year: int, category: str, points: int) -> dict:
    day = datetime(year, 1, 1) + timedelta(days=rng.randint(0, 360))
    return {
        "category": category,
        "points": money(points),
        "reason": rng.choice(ADJUSTMENT_REASONS),
        "source": rng.choice(ADJUSTMENT_SOURCES),
        "date": day.date().isoformat(),
    }


def _claim(rng: random.Random, year: int, as_of: datetime, clock: _Clock) -> dict:
    declare_by = datetime(year, rng.randint(3, 11), rng.randint(1, 28), 23, 59, 59, tzinfo=SHANGHAI)
    roll = rng.random()
    if roll < 0.55:
        declared = declare_by - timedelta(seconds=rng.randint(60, 40 * 86400))
    elif roll < 0.7:
        declared = declare_by  # exactly at the deadline: on time
    elif roll < 0.9:
        declared = declare_by + timedelta(seconds=rng.randint(1, 10 * 86400))
    else:
        declared = None
    roll = rng.random()
    if roll < 0.5:
        ends = as_of - timedelta(seconds=rng.randint(1, 150 * 86400))
    elif roll < 0.62:
        ends = as_of  # ends exactly at as_of: ended
    elif roll < 0.85:
        ends = as_of + timedelta(seconds=rng.randint(1, 20 * 86400))
    else:
        ends = None
    status = rng.choice(["approved", "approved", "approved", *STATUSES])
    return {
        "level": rng.choice(LEVELS),
        "title": rng.choice(CLAIM_TITLES),
        "declared_at": clock(declared),
        "declare_by": clock(declare_by),
        "status": status,
        "publicity_ends_at": clock(ends),
    }


def _comprehensive(rng: random.Random, settings: dict | None) -> dict:
    bands = oracle.effective_settings({"settings": settings})["grade_bands"]
    if rng.random() < 0.5:
        # Next to a band threshold, where the ±0.1/0.2/0.3 adjustments decide the grade.
        threshold = cents_of(str(rng.choice(bands[:-1])[1]))
        cents = threshold + rng.choice([-30, -20, -10, -5, 0, 5, 10])
    else:
        cents = rng.randint(4000, 10000)
    cents = min(max(cents, 50), 10000)
    return {"score": money(cents), "advanced": rng.random() < 0.4}


def _secondary_pair(
    rng: random.Random, year: int, categories: list[dict], settings: dict | None
) -> list[dict[str, list[dict]]]:
    """Two units equal on total but not on performance.

    With weights 0.80/0.20 and 100 ballots per vote, moving one ballot from dissatisfied to
    satisfied in both votes raises satisfaction by exactly 1.00 (whatever the vote weights);
    taking 0.25 off one category lowers performance by exactly 0.25; 0.8·0.25 = 0.2·1.00.
    No indicator is scored and every category stays strictly inside (0, max), so nothing clamps.
    """
    first: dict[str, list[dict]] = {key: [] for key in PROFILE_KEYS}
    first["comprehensive"].append(_comprehensive(rng, settings))
    for category in categories:
        cat_cents = cents_of(category["max_points"])
        points = rng.randint(100, cat_cents - 100)
        first["adjustments"].append(_adjustment(rng, year, category["code"], points))
    for kind in oracle.VOTE_KINDS:
        dissatisfied = rng.randint(1, 10)
        basically = rng.randint(0, 40)
        first["votes"].append(
            {
                "kind": kind,
                "satisfied": 100 - dissatisfied - basically,
                "basically": basically,
                "dissatisfied": dissatisfied,
            }
        )
    second = copy.deepcopy(first)
    second["adjustments"].append(_adjustment(rng, year, categories[0]["code"], -25))
    for vote in second["votes"]:
        vote["satisfied"] += 1
        vote["dissatisfied"] -= 1
    second["comprehensive"] = [_comprehensive(rng, settings)]
    return [first, second]


def _materialise(
    year: int,
    as_of: datetime,
    settings: dict | None,
    categories: list[dict],
    indicators: list[dict],
    profiles: list[dict[str, list[dict]]],
    naming: dict[str, Any],
    clock: _Clock,
) -> dict:
    """The bundle of these unit profiles. Deterministic given `naming` (drawn once up front), so
    re-materialising after appending twins keeps the existing units' codes and names."""
    bundle: dict[str, Any] = {"format": FORMAT, "year": year, "as_of": clock(as_of)}
    if settings is not None:
        bundle["settings"] = copy.deepcopy(settings)
    lists: dict[str, list[dict]] = {key: [] for key in PROFILE_KEYS}
    units = []
    for number, profile in enumerate(profiles, start=1):
        code = f"{naming['prefix']}{number:02d}"
        units.append({"code": code, "name": naming["names"][number - 1]})
        for key, rows in profile.items():
            lists[key].extend({"unit": code, **copy.deepcopy(row)} for row in rows)
    # Claims of different units interleave, so a claim's index says nothing about its unit.
    random.Random(naming["shuffle_seed"]).shuffle(lists["bonus_claims"])
    exceptions = [
        {"category": c["code"], "reason": "经领导小组研究同意"}
        for c in categories
        if c["code"] in naming["excepted"]
    ]
    bundle.update(
        units=units,
        categories=copy.deepcopy(categories),
        indicators=copy.deepcopy(indicators),
        **lists,
        full_marks_exceptions=exceptions,
    )
    return bundle


def small_bundle() -> dict:
    """Three units, default settings except the bonus cap; figures worked by hand in
    test_bundle_oracle.py (test_hand_worked_bundle)."""
    sh = "+08:00"
    return {
        "format": FORMAT,
        "year": 2026,
        "as_of": f"2027-01-10T09:00:00{sh}",
        "settings": {"bonus_cap": "1.50"},
        "units": [
            {"code": "C01", "name": "东湖社区党委"},
            {"code": "C02", "name": "西山社区党委"},
            {"code": "C03", "name": "南湖社区党委"},
        ],
        "categories": [
            {
                "code": "LZ",
                "name": "党风廉政建设",
                "department": "纪检监察室",
                "max_points": "25.00",
            },
            {"code": "QT", "name": "群团工作", "department": "群团办", "max_points": "15.00"},
            {"code": "XC", "name": "宣传思想文化", "department": "宣传办", "max_points": "20.00"},
            {"code": "ZZ", "name": "组织建设", "department": "组织办", "max_points": "40.00"},
        ],
        "indicators": [
            {
                "code": "LZ-01",
                "category": "LZ",
                "name": "廉政教育季报",
                "max_points": "5.00",
                "required_reports": 4,
            },
            {
                "code": "LZ-02",
                "category": "LZ",
                "name": "廉政风险防控",
                "max_points": "20.00",
                "required_reports": 0,
            },
            {
                "code": "QT-01",
                "category": "QT",
                "name": "群团组织建设",
                "max_points": "15.00",
                "required_reports": 0,
            },
            {
                "code": "XC-01",
                "category": "XC",
                "name": "意识形态工作",
                "max_points": "20.00",
                "required_reports": 0,
            },
            {
                "code": "ZZ-01",
                "category": "ZZ",
                "name": "三会一课",
                "max_points": "40.00",
                "required_reports": 3,
            },
        ],
        "reports": [
            # C01: every report on time; LZ-01 period 2 exactly at its due time, period 3 given
            # in UTC at the very same instant as its due time.
            _report("C01", "LZ-01", 1, "2026-03-31T23:59:59+08:00", "2026-03-20T10:00:00+08:00"),
            _report("C01", "LZ-01", 2, "2026-06-30T23:59:59+08:00", "2026-06-30T23:59:59+08:00"),
            _report("C01", "LZ-01", 3, "2026-09-30T23:59:59+08:00", "2026-09-30T15:59:59+00:00"),
            _report("C01", "LZ-01", 4, "2026-12-31T23:59:59+08:00", "2026-12-01T09:00:00+08:00"),
            _report("C01", "ZZ-01", 1, "2026-04-30T23:59:59+08:00", "2026-04-01T09:00:00+08:00"),
            _report("C01", "ZZ-01", 2, "2026-08-31T23:59:59+08:00", "2026-08-01T09:00:00+08:00"),
            _report("C01", "ZZ-01", 3, "2026-12-31T23:59:59+08:00", "2026-12-01T09:00:00+08:00"),
            # C02: LZ-01 period 3 late (given in UTC), period 4 has no report at all;
            # ZZ-01 period 3 never submitted.
            _report("C02", "LZ-01", 1, "2026-03-31T23:59:59+08:00", "2026-03-31T08:00:00+08:00"),
            _report("C02", "LZ-01", 2, "2026-06-30T23:59:59+08:00", "2026-06-29T08:00:00+08:00"),
            _report("C02", "LZ-01", 3, "2026-09-30T23:59:59+08:00", "2026-10-01T00:30:00+00:00"),
            _report("C02", "ZZ-01", 1, "2026-04-30T23:59:59+08:00", "2026-04-30T17:00:00+08:00"),
            _report("C02", "ZZ-01", 2, "2026-08-31T23:59:59+08:00", "2026-08-31T17:00:00+08:00"),
            _report("C02", "ZZ-01", 3, "2026-12-31T23:59:59+08:00", None),
            # C03: LZ-01 period 2 one second late; no ZZ-01 report at all.
            _report("C03", "LZ-01", 1, "2026-03-31T23:59:59+08:00", "2026-03-30T10:00:00+08:00"),
            _report("C03", "LZ-01", 2, "2026-06-30T23:59:59+08:00", "2026-07-01T00:00:00+08:00"),
            _report("C03", "LZ-01", 3, "2026-09-30T23:59:59+08:00", "2026-09-30T10:00:00+08:00"),
            _report("C03", "LZ-01", 4, "2026-12-31T23:59:59+08:00", "2026-12-30T10:00:00+08:00"),
        ],
        "scores": [
            _score("C01", "LZ-01", "4.50"),
            _score("C01", "LZ-02", "18.00", "19.00"),
            _score("C01", "QT-01", "13.00"),
            _score("C01", "XC-01", "20.00"),
            _score("C01", "ZZ-01", "36.00"),
            _score("C02", "LZ-01", "4.00"),
            _score("C02", "LZ-02", "17.50"),
            _score("C02", "QT-01", "15.00"),
            _score("C02", "XC-01", "16.00", "15.50"),
            _score("C02", "ZZ-01", "38.00"),
            _score("C03", "LZ-01", "3.00"),
            _score("C03", "LZ-02", "10.00"),
            _score("C03", "QT-01", "12.00"),
            _score("C03", "ZZ-01", "39.00"),
        ],
        "adjustments": [
            _adj("C01", "LZ", "-1.00", "2026-05-01"),
            _adj("C01", "QT", "0.50", "2026-06-01"),
            _adj("C02", "ZZ", "2.00", "2026-07-01"),
            _adj("C03", "LZ", "-8.00", "2026-08-01"),
            _adj("C03", "LZ", "-6.50", "2026-09-01"),
            _adj("C03", "XC", "25.00", "2026-10-01"),
        ],
        "fraud_findings": [{"unit": "C03", "category": "ZZ", "reason": "台账材料弄虚作假"}],
        "bonus_claims": [
            # 0: C01 city, declared exactly at the deadline, approved, publicity over: counts.
            _claim_row(
                "C01",
                "city",
                "2026-06-30T23:59:59+08:00",
                "2026-06-30T23:59:59+08:00",
                "approved",
                "2026-07-15T23:59:59+08:00",
            ),
            # 1: C01 province, declared one second late: late.
            _claim_row(
                "C01",
                "province",
                "2026-07-01T00:00:00+08:00",
                "2026-06-30T23:59:59+08:00",
                "approved",
                "2026-07-20T23:59:59+08:00",
            ),
            # 2: C02 national, publicity ends after as_of: publicity_not_ended.
            _claim_row(
                "C02",
                "national",
                "2026-09-01T10:00:00+08:00",
                "2026-09-30T23:59:59+08:00",
                "approved",
                "2027-01-15T23:59:59+08:00",
            ),
            # 3: C02 district, late and not approved: late comes first.
            _claim_row(
                "C02",
                "district",
                "2026-10-08T10:00:00+08:00",
                "2026-09-30T23:59:59+08:00",
                "office_reviewed",
                None,
            ),
            # 4: C02 city, approved on time but publicity never set: publicity_not_ended.
            _claim_row(
                "C02",
                "city",
                "2026-05-01T10:00:00+08:00",
                "2026-05-31T23:59:59+08:00",
                "approved",
                None,
            ),
            # 5: C02 province, on time but rejected: not_approved.
            _claim_row(
                "C02",
                "province",
                "2026-05-01T10:00:00+08:00",
                "2026-05-31T23:59:59+08:00",
                "rejected",
                "2026-06-30T23:59:59+08:00",
            ),
            # 6: C03 district, never declared: late.
            _claim_row(
                "C03",
                "district",
                None,
                "2026-05-31T23:59:59+08:00",
                "declared",
                None,
            ),
            # 7: C01 district, publicity ends exactly at as_of: counts.
            _claim_row(
                "C01",
                "district",
                "2026-03-01T10:00:00+08:00",
                "2026-03-31T23:59:59+08:00",
                "approved",
                "2027-01-10T09:00:00+08:00",
            ),
        ],
        "votes": [
            _vote("C01", "debriefing", 20, 5, 1),
            _vote("C01", "democratic", 30, 8, 2),
            _vote("C02", "debriefing", 10, 10, 5),
            _vote("C03", "debriefing", 0, 0, 0),
            _vote("C03", "democratic", 1, 1, 1),
        ],
        "comprehensive": [
            {"unit": "C01", "score": "92.50", "advanced": True},
            {"unit": "C02", "score": "91.00", "advanced": True},
        ],
        "full_marks_exceptions": [{"category": "QT", "reason": "经领导小组研究同意"}],
    }


def _report(unit, indicator, period, due_at, submitted_at):
    return {
        "unit": unit,
        "indicator": indicator,
        "period": period,
        "due_at": due_at,
        "submitted_at": submitted_at,
    }


def _score(unit, indicator, department, verified=None):
    return {
        "unit": unit,
        "indicator": indicator,
        "department_score": department,
        "verified_score": verified,
    }


def _adj(unit, category, points, date):
    return {
        "unit": unit,
        "category": category,
        "points": points,
        "reason": "专项检查",
        "source": "spot check",
        "date": date,
    }


def _claim_row(unit, level, declared_at, declare_by, status, publicity_ends_at):
    return {
        "unit": unit,
        "level": level,
        "title": "获评先进基层党组织",
        "declared_at": declared_at,
        "declare_by": declare_by,
        "status": status,
        "publicity_ends_at": publicity_ends_at,
    }


def _vote(unit, kind, satisfied, basically, dissatisfied):
    return {
        "unit": unit,
        "kind": kind,
        "satisfied": satisfied,
        "basically": basically,
        "dissatisfied": dissatisfied,
    }
