"""Pure scoring engine (scoring.md). No database. Every expected value is worked by hand."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from appraisal.domain import (
    CITY,
    CLAIM_LATE,
    CLAIM_NOT_APPROVED,
    CLAIM_NOT_DECLARED,
    CLAIM_PUBLICITY_OPEN,
    DISTRICT,
    EXCELLENT,
    FAIL,
    NATIONAL,
    PASS,
    PROVINCE,
    REPORT_LATE,
    REPORT_MISSING,
    Adjustment,
    BonusClaim,
    CategoryInput,
    FraudFinding,
    IndicatorInput,
    Position,
    ReportTimes,
    ScoringSettings,
    UnitInput,
    Votes,
    apply_veto,
    bonus,
    category_score,
    comprehensive_adjustment,
    compute_results,
    evaluate_claim,
    full_marks_check,
    grade_for,
    indicator_score,
    performance,
    q,
    rank_units,
    satisfaction,
    total,
    vote_score,
)

D = Decimal
SH = ZoneInfo("Asia/Shanghai")
S = ScoringSettings()
AS_OF = datetime(2025, 12, 31, 18, 0, tzinfo=SH)
DEADLINE = datetime(2025, 6, 30, 17, 0, tzinfo=SH)


def sh(month, day, hour=10, minute=0, second=0):
    return datetime(2025, month, day, hour, minute, second, tzinfo=SH)


def ind(score, max_points="10", category="C", code="i", required=0, on_time=None, **kw):
    return IndicatorInput(
        code=code,
        category=category,
        max_points=D(max_points),
        required_reports=required,
        on_time_reports=on_time,
        department_score=None if score is None else D(score),
        **kw,
    )


def cat(scores, max_points="25", adjustments=(), fraud=None, code="C"):
    return CategoryInput(
        code=code,
        max_points=D(max_points),
        indicators=tuple(
            ind(s, max_points="30", category=code, code=f"i{n}") for n, s in enumerate(scores)
        ),
        adjustments=tuple(Adjustment(D(a), "reason", "source", sh(5, 1)) for a in adjustments),
        fraud=fraud,
    )


# ---------------------------------------------------------------- rounding


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2.345", "2.35"),  # half-up; half-even would give 2.34
        ("0.125", "0.13"),  # half-up; half-even would give 0.12
        ("2.344", "2.34"),
        ("2.3449", "2.34"),
        ("7", "7.00"),
    ],
)
def test_round_half_up_two_places(value, expected):
    assert q(D(value)) == D(expected)
    assert str(q(D(value))) == expected


# ---------------------------------------------------------------- §1 indicator


@pytest.mark.parametrize(
    "max_points, required, on_time, s, cap, score",
    [
        # required 0 → cap = max = 10; min(7, 10) = 7
        ("10", 0, None, "7", "10.00", "7.00"),
        # 10 × 1 / 3 = 3.333… → 3.33; min(5, 3.33) = 3.33
        ("10", 3, 1, "5", "3.33", "3.33"),
        # 10 × 2 / 3 = 6.666… → 6.67; min(5, 6.67) = 5
        ("10", 3, 2, "5", "6.67", "5.00"),
        # 4.69 × 1 / 2 = 2.345 → 2.35 (half-up); min(4, 2.35) = 2.35
        ("4.69", 2, 1, "4", "2.35", "2.35"),
        # no report on time: cap 0
        ("10", 4, 0, "8", "0.00", "0.00"),
        # all on time: cap = 10 × 4 / 4 = 10; min(10, 10) = 10
        ("10", 4, 4, "10", "10.00", "10.00"),
    ],
)
def test_indicator_cap_from_on_time_reports(max_points, required, on_time, s, cap, score):
    r = indicator_score(ind(s, max_points=max_points, required=required, on_time=on_time))
    assert r.cap == D(cap)
    assert r.score == D(score)
    # the shortfall is listed as missing reports
    assert len(r.exclusions) == required - (on_time or 0)


def test_exclusions_from_report_times():
    reports = (
        ReportTimes(due=sh(3, 31, 17), submitted=sh(3, 30, 9)),  # early: on time
        # exactly at due, given in UTC: 2025-06-30 09:00 UTC == 17:00 Shanghai → on time
        ReportTimes(due=sh(6, 30, 17), submitted=datetime(2025, 6, 30, 9, 0, tzinfo=UTC)),
        ReportTimes(due=sh(9, 30, 17), submitted=sh(9, 30, 17, 0, 1)),  # 1 s late
        ReportTimes(due=sh(12, 20, 17), submitted=None),  # never submitted
    )
    # 5 required, 4 periods created: the 5th is missing with no times.
    r = indicator_score(ind("6", required=5, reports=reports))
    # on time 2 → cap = 10 × 2 / 5 = 4.00; min(6, 4) = 4.00
    assert r.on_time_reports == 2
    assert r.cap == D("4.00")
    assert r.score == D("4.00")
    assert [(e.reason, e.due, e.submitted) for e in r.exclusions] == [
        (REPORT_LATE, sh(9, 30, 17), sh(9, 30, 17, 0, 1)),
        (REPORT_MISSING, sh(12, 20, 17), None),
        (REPORT_MISSING, None, None),
    ]


def test_naive_report_time_is_rejected():
    reports = (ReportTimes(due=datetime(2025, 3, 31, 17), submitted=sh(3, 30)),)
    with pytest.raises(ValueError):
        indicator_score(ind("6", required=1, reports=reports))


@pytest.mark.parametrize(
    "department, joint, source, raw, score",
    [
        ("7", None, "department", "7.00", "7.00"),
        ("7", "5", "joint_team", "5.00", "5.00"),  # joint team's 5 replaces 7
        ("5", "8", "joint_team", "8.00", "8.00"),  # also upwards
        (None, "6.5", "joint_team", "6.50", "6.50"),
        (None, None, "not_scored", "0.00", "0.00"),  # never scored → 0
    ],
)
def test_joint_team_value_replaces_department(department, joint, source, raw, score):
    i = IndicatorInput(
        code="i",
        category="C",
        max_points=D("10"),
        department_score=None if department is None else D(department),
        joint_team_score=None if joint is None else D(joint),
    )
    r = indicator_score(i)
    assert (r.source, r.raw_score, r.score) == (source, D(raw), D(score))


def test_joint_team_value_is_still_capped():
    # 1 of 2 on time → cap 10 × 1 / 2 = 5; joint 8 → min(8, 5) = 5
    i = IndicatorInput("i", "C", D("10"), 2, 1, (), D("3"), D("8"))
    assert indicator_score(i).score == D("5.00")


# ---------------------------------------------------------------- §2 category


@pytest.mark.parametrize(
    "scores, adjustments, fraud, expected",
    [
        (["10", "8"], ["2", "-1.5"], None, "18.50"),  # 18 + 0.5 = 18.5
        (["3"], ["-5"], None, "0.00"),  # 3 − 5 = −2 → clamp 0
        (["20", "4"], ["3"], None, "25.00"),  # 27 → clamp to max 25
        (["25"], [], None, "25.00"),  # exactly max
        (["20"], ["2"], FraudFinding("falsified ledger", "LG"), "0.00"),  # fraud → 0
        (["25"], [], FraudFinding("falsified ledger"), "0.00"),  # fraud beats full marks
    ],
)
def test_category_clamp_adjustments_and_fraud(scores, adjustments, fraud, expected):
    r = category_score(cat(scores, adjustments=adjustments, fraud=fraud))
    assert r.score == D(expected)
    assert len(r.adjustments) == len(adjustments)


def test_category_sums_rounded_indicator_scores():
    # each indicator: 10 × 1 / 3 = 3.33 (rounded); sum 3.33 + 3.33 = 6.66, not 20/3 → 6.67
    one_third = {"max_points": "10", "category": "C", "required": 3, "on_time": 1}
    c = CategoryInput(
        code="C",
        max_points=D("25"),
        indicators=(ind("10", code="a", **one_third), ind("10", code="b", **one_third)),
    )
    assert category_score(c).score == D("6.66")


def test_indicator_of_other_category_is_rejected():
    with pytest.raises(ValueError):
        category_score(CategoryInput("C", D("25"), (ind("1", category="X"),)))


# ---------------------------------------------------------------- §3 performance


DECLARED = sh(6, 1)
PUBLICITY_ENDS = sh(7, 15)


def claim(level=CITY, declared=DECLARED, approved=True, publicity=PUBLICITY_ENDS):
    return BonusClaim(level, declared, DEADLINE, approved, publicity)


@pytest.mark.parametrize(
    "c, counted, reasons",
    [
        (claim(), True, ()),
        (claim(declared=DEADLINE), True, ()),  # declared exactly at deadline
        (claim(publicity=AS_OF), True, ()),  # publicity ends exactly at as_of
        (claim(declared=DEADLINE + timedelta(seconds=1)), False, (CLAIM_LATE,)),
        (claim(declared=None), False, (CLAIM_NOT_DECLARED,)),
        (claim(approved=False), False, (CLAIM_NOT_APPROVED,)),
        (claim(publicity=AS_OF + timedelta(seconds=1)), False, (CLAIM_PUBLICITY_OPEN,)),
        (claim(publicity=None), False, (CLAIM_PUBLICITY_OPEN,)),
        (
            claim(declared=sh(7, 1), approved=False),
            False,
            (CLAIM_LATE, CLAIM_NOT_APPROVED),
        ),
    ],
)
def test_claim_counted_or_not_with_reasons(c, counted, reasons):
    r = evaluate_claim(c, S, AS_OF)
    assert (r.counted, r.reasons) == (counted, reasons)


@pytest.mark.parametrize(
    "claims, settings, expected",
    [
        ([], S, "0.00"),
        ([claim(DISTRICT), claim(CITY)], S, "3.00"),  # 1 + 2 = 3
        ([claim(PROVINCE), claim(CITY)], S, "5.00"),  # 3 + 2 = 5 = cap
        ([claim(NATIONAL), claim(CITY)], S, "5.00"),  # 5 + 2 = 7 → cap 5
        ([claim(NATIONAL), claim(CITY)], ScoringSettings(bonus_cap=D("10")), "7.00"),
        # city counted (2); province not approved (not counted) → 2
        ([claim(CITY), claim(PROVINCE, approved=False)], S, "2.00"),
    ],
)
def test_bonus_cap_and_not_counted_claims(claims, settings, expected):
    assert bonus([evaluate_claim(c, settings, AS_OF) for c in claims], settings) == D(expected)


def test_performance_is_sum_of_categories_plus_bonus():
    # 25 + 18.5 + 20 + 30 + 3 = 96.5
    assert performance([D("25"), D("18.5"), D("20"), D("30")], D("3")) == D("96.50")


# ---------------------------------------------------------------- §4 satisfaction


@pytest.mark.parametrize(
    "votes, score, empty",
    [
        ((10, 0, 0), "100.00", False),
        ((1, 1, 1), "53.33", False),  # (100 + 60) / 3 = 53.333…
        ((2, 1, 0), "86.67", False),  # (200 + 60) / 3 = 86.666…
        ((1, 0, 31), "3.13", False),  # 100 / 32 = 3.125 → half-up 3.13
        ((0, 0, 5), "0.00", False),
        ((0, 0, 0), "0.00", True),  # no ballots → 0, flagged
    ],
)
def test_vote_score(votes, score, empty):
    r = vote_score(Votes(*votes), S)
    assert (r.score, r.empty, r.ballots) == (D(score), empty, sum(votes))


@pytest.mark.parametrize(
    "debriefing, democratic, settings, expected",
    [
        ("86.67", "53.33", S, "70.00"),  # 43.335 + 26.665 = 70.000
        ("86.67", "70", S, "78.34"),  # 43.335 + 35 = 78.335 → 78.34
        (
            "90",
            "80",
            ScoringSettings(debriefing_weight=D("0.6"), democratic_weight=D("0.4")),
            "86.00",  # 54 + 32
        ),
    ],
)
def test_satisfaction_weights(debriefing, democratic, settings, expected):
    assert satisfaction(D(debriefing), D(democratic), settings) == D(expected)


@pytest.mark.parametrize(
    "perf, sat, settings, expected",
    [
        ("96.5", "78.34", S, "92.87"),  # 77.2 + 15.668 = 92.868 → 92.87
        ("88.88", "77.77", S, "86.66"),  # 71.104 + 15.554 = 86.658 → 86.66
        (
            "90.01",
            "80",
            ScoringSettings(performance_weight=D("0.5"), satisfaction_weight=D("0.5")),
            "85.01",  # 45.005 + 40 = 85.005 → half-up 85.01
        ),
    ],
)
def test_total_weights(perf, sat, settings, expected):
    assert total(D(perf), D(sat), settings) == D(expected)


# ---------------------------------------------------------------- §5 ranking


def keys(*rows):
    """rows: (id, total, performance, satisfaction)"""
    return {r[0]: tuple(D(x) for x in r[1:]) for r in rows}


@pytest.mark.parametrize(
    "rows, expected",
    [
        # distinct
        (
            [("A", 90, 90, 90), ("B", 80, 80, 80), ("C", 70, 70, 70)],
            {"A": (1, 3), "B": (2, 2), "C": (3, 1)},
        ),
        # tie at rank 2: 1, 2, 2, 4; bottom: D 1, B/C 1 + 1 = 2, A 1 + 3 = 4
        (
            [("A", 90, 90, 90), ("B", 80, 80, 80), ("C", 80, 80, 80), ("D", 70, 70, 70)],
            {"A": (1, 4), "B": (2, 2), "C": (2, 2), "D": (4, 1)},
        ),
        # tie at rank 3: 1, 2, 3, 3, 5; bottom: E 1, C/D 2, B 4, A 5
        (
            [
                ("A", 95, 95, 95),
                ("B", 90, 90, 90),
                ("C", 85, 85, 85),
                ("D", 85, 85, 85),
                ("E", 70, 70, 70),
            ],
            {"A": (1, 5), "B": (2, 4), "C": (3, 2), "D": (3, 2), "E": (5, 1)},
        ),
        # tie at the bottom: ranks 1, 2, 3, 3; C and D both bottom position 1
        (
            [("A", 90, 90, 90), ("B", 80, 80, 80), ("C", 70, 70, 70), ("D", 70, 70, 70)],
            {"A": (1, 4), "B": (2, 3), "C": (3, 1), "D": (3, 1)},
        ),
        # all equal
        (
            [("A", 80, 80, 80), ("B", 80, 80, 80), ("C", 80, 80, 80)],
            {"A": (1, 1), "B": (1, 1), "C": (1, 1)},
        ),
        # equal total broken by performance: A 0.8×90 + 0.2×40 = 80, B 0.8×85 + 0.2×60 = 80
        ([("A", 80, 90, 40), ("B", 80, 85, 60)], {"A": (1, 2), "B": (2, 1)}),
        # equal total and performance broken by satisfaction: 72 + 8.004 = 80.004 → 80.00
        (
            [("A", "80.00", "90.00", "40.02"), ("B", "80.00", "90.00", "40.00")],
            {"A": (1, 2), "B": (2, 1)},
        ),
    ],
)
def test_rank_units_competition_ranking(rows, expected):
    positions = rank_units(keys(*rows))
    assert {k: (p.rank, p.bottom_position) for k, p in positions.items()} == expected


# ---------------------------------------------------------------- §6 comprehensive


@pytest.mark.parametrize(
    "rank, bottom, expected",
    [
        (1, 5, "0.30"),
        (2, 4, "0.20"),
        (3, 3, "0.10"),
        (4, 2, "-0.10"),
        (5, 1, "-0.20"),
        (6, 7, "0.00"),
        # ties 1, 2, 2, 4, 5: both rank-2 units get the full 0.2, no rank 3 exists
        (2, 3, "0.20"),
        # ties at rank 3 among 5 (1, 2, 3, 3, 5): each rank-3 unit has bottom 2 → 0.1 − 0.1
        (3, 2, "0.00"),
        # fewer than 5 units (3): rank 2 bottom 2 → 0.2 − 0.1; rank 3 bottom 1 → 0.1 − 0.2
        (2, 2, "0.10"),
        (3, 1, "-0.10"),
        # one unit, or all equal: rank 1 bottom 1 → 0.3 − 0.2
        (1, 1, "0.10"),
    ],
)
def test_comprehensive_adjustment(rank, bottom, expected):
    assert comprehensive_adjustment(Position(rank, bottom), S) == D(expected)


@pytest.mark.parametrize(
    "adjusted, expected",
    [
        ("90", EXCELLENT),
        ("90.00", EXCELLENT),
        ("89.99", PASS),
        ("60", PASS),
        ("59.99", FAIL),
        ("-0.20", FAIL),
    ],
)
def test_grade_bands(adjusted, expected):
    assert grade_for(D(adjusted), S) == expected


def test_custom_grade_bands():
    s = ScoringSettings(grade_bands=(("A", D("85")), ("B", D("70")), ("C", D("50")), ("D", None)))
    assert [grade_for(D(x), s) for x in ("85", "84.99", "70", "50", "49.99")] == [
        "A",
        "B",
        "B",
        "C",
        "D",
    ]


@pytest.mark.parametrize(
    "grade, bottom, expected, vetoed",
    [
        (EXCELLENT, 1, PASS, True),  # last place cannot be 优胜
        (EXCELLENT, 2, PASS, True),  # second-to-last either
        (EXCELLENT, 3, EXCELLENT, False),
        (PASS, 1, PASS, False),  # not in the top band: unchanged
        (FAIL, 2, FAIL, False),
    ],
)
def test_veto_lowers_top_band_for_penalised_positions(grade, bottom, expected, vetoed):
    assert apply_veto(grade, Position(1, bottom), S) == (expected, vetoed)


# ---------------------------------------------------------------- full-marks cap


def _full_marks_results(n_units, n_full):
    # category C max 25: the first n_full units score 25 (full), the rest 20
    return {
        f"U{n:02}": (category_score(cat(["25" if n < n_full else "20"])),) for n in range(n_units)
    }


@pytest.mark.parametrize(
    "n_units, n_full, exceptions, allowed, breaks, blocks",
    [
        (15, 2, None, 2, False, False),  # floor(0.15 × 15 = 2.25) = 2; 2 ≤ 2
        (15, 3, None, 2, True, True),  # 3 > 2 → blocks finalising
        (15, 3, {"C": "three units verified"}, 2, True, False),  # exception lifts it
        (10, 1, None, 1, False, False),  # floor(1.5) = 1
        (6, 1, None, 0, True, True),  # floor(0.9) = 0
    ],
)
def test_full_marks_cap(n_units, n_full, exceptions, allowed, breaks, blocks):
    [check] = full_marks_check(_full_marks_results(n_units, n_full), n_units, S, exceptions)
    assert (check.allowed, check.breaks_cap, check.blocks_finalisation) == (allowed, breaks, blocks)
    assert len(check.full_marks_units) == n_full
    assert check.exception_reason == (exceptions or {}).get("C")


# ---------------------------------------------------------------- the whole year


def unit(uid, clean, org, claims=(), deb=(0, 0, 0), dem=(0, 0, 0), comp="0", adv=False, fraud=None):
    return UnitInput(
        unit_id=uid,
        name=f"Unit {uid}",
        categories=(
            CategoryInput("clean", D("60"), (ind(clean, "60", "clean", "c1"),)),
            CategoryInput("org", D("40"), (ind(org, "40", "org", "o1"),), fraud=fraud),
        ),
        claims=claims,
        debriefing=Votes(*deb),
        democratic=Votes(*dem),
        comprehensive=D(comp),
        advanced=adv,
    )


# U1: 55 + 38 + city 2 = 95; deb (800+120)/10 = 92, dem (600+180)/10 = 78, sat 46 + 39 = 85;
#     total 76 + 17 = 93.00
# U2: 50 + 30 = 80, national not approved → bonus 0; deb 53.33, dem 86.67 → sat 70.00;
#     total 64 + 14 = 78.00
# U3: 60 (full) + 20 = 80; deb empty → 0 (flagged), dem 100 → sat 50; total 64 + 10 = 74.00
# U4: 58 + org 35 but fraud → 0 = 58; deb/dem (500+300)/10 = 80 → sat 80;
#     total 46.4 + 16 = 62.40
# ranks 1..4, bottom positions 4, 3, 2, 1.
# U1 +0.3 → 91.30 优胜; U2 +0.2 → 95.20 优胜; U3 +0.1 − 0.1 → 92.00 优胜 → vetoed to 合格;
# U4 −0.2 → 69.80 合格, penalised, its advanced status withdrawn.
# Full marks: floor(0.15 × 4) = 0 allowed; clean has U3 at 60 → breaks; org has none.
YEAR = [
    unit(
        "U4",
        "58",
        "35",
        deb=(5, 5, 0),
        dem=(5, 5, 0),
        comp="70",
        adv=True,
        fraud=FraudFinding("falsified minutes", "Leading Group"),
    ),
    unit("U3", "60", "20", dem=(10, 0, 0), comp="92"),
    unit(
        "U2",
        "50",
        "30",
        claims=(claim(NATIONAL, approved=False),),
        deb=(1, 1, 1),
        dem=(2, 1, 0),
        comp="95",
        adv=True,
    ),
    unit(
        "U1", "55", "38", claims=(claim(CITY),), deb=(8, 2, 0), dem=(6, 3, 1), comp="91", adv=True
    ),
]


@pytest.mark.parametrize(
    "uid, perf, sat, tot, rank, bottom, adj, adjusted, before, grade",
    [
        ("U1", "95.00", "85.00", "93.00", 1, 4, "0.30", "91.30", EXCELLENT, EXCELLENT),
        ("U2", "80.00", "70.00", "78.00", 2, 3, "0.20", "95.20", EXCELLENT, EXCELLENT),
        ("U3", "80.00", "50.00", "74.00", 3, 2, "0.00", "92.00", EXCELLENT, PASS),
        ("U4", "58.00", "80.00", "62.40", 4, 1, "-0.20", "69.80", PASS, PASS),
    ],
)
def test_compute_results_figures(uid, perf, sat, tot, rank, bottom, adj, adjusted, before, grade):
    u = compute_results(YEAR, S, AS_OF).unit(uid)
    assert (u.performance, u.satisfaction, u.total) == (D(perf), D(sat), D(tot))
    assert (u.rank, u.bottom_position) == (rank, bottom)
    assert (u.comprehensive_adjustment, u.adjusted) == (D(adj), D(adjusted))
    assert (u.grade_before_veto, u.grade) == (before, grade)


@pytest.mark.parametrize(
    "uid, empty_deb, penalised, vetoed, withdrawn, not_eligible",
    [
        ("U1", False, False, False, False, False),
        ("U2", False, False, False, False, False),
        ("U3", True, True, True, False, True),  # vetoed; was not advanced
        ("U4", False, True, False, True, True),  # already 合格; advanced withdrawn
    ],
)
def test_compute_results_flags(uid, empty_deb, penalised, vetoed, withdrawn, not_eligible):
    f = compute_results(YEAR, S, AS_OF).unit(uid).flags
    assert (f.empty_debriefing_vote, f.penalised, f.veto_applied) == (empty_deb, penalised, vetoed)
    assert (f.advanced_withdrawn, f.secretary_not_eligible) == (withdrawn, not_eligible)
    assert f.empty_democratic_vote is False


def test_compute_results_details_and_full_marks():
    res = compute_results(YEAR, S, AS_OF)
    assert [u.unit_id for u in res.units] == ["U1", "U2", "U3", "U4"]
    u1, u2, u4 = res.unit("U1"), res.unit("U2"), res.unit("U4")
    assert (len(u1.claims_counted), u1.bonus) == (1, D("2.00"))
    assert [c.reasons for c in u2.claims_not_counted] == [(CLAIM_NOT_APPROVED,)]
    assert u2.bonus == D("0.00")
    assert [c.score for c in u4.categories] == [D("58.00"), D("0.00")]
    clean, org = res.full_marks
    assert (clean.category, clean.allowed, clean.full_marks_units) == ("clean", 0, ("U3",))
    assert clean.blocks_finalisation and not org.breaks_cap
    assert not res.can_finalise
    lifted = compute_results(YEAR, S, AS_OF, full_marks_exceptions={"clean": "verified"})
    assert lifted.can_finalise


def test_compute_results_is_deterministic_and_order_independent():
    a = compute_results(YEAR, S, AS_OF)
    b = compute_results(list(reversed(YEAR)), S, AS_OF)
    assert a == b
    assert repr(a) == repr(compute_results(YEAR, S, AS_OF))


def test_all_units_equal_share_rank_one_and_bottom_one():
    # 3 identical units: 50 + 30 = 80 perf, no votes → sat 0; total 64.
    # All rank 1 and bottom 1 → +0.3 − 0.2 = 0.1; comprehensive 95 → 95.10 优胜 → vetoed 合格.
    res = compute_results([unit(u, "50", "30", comp="95") for u in "ABC"], S, AS_OF)
    for u in res.units:
        assert (u.rank, u.bottom_position, u.adjusted, u.grade) == (1, 1, D("95.10"), PASS)
        assert u.flags.veto_applied and u.flags.empty_debriefing_vote


@pytest.mark.parametrize("seed", range(20))
def test_compact_rows_score_a_category_exactly_as_its_indicators(seed):
    # the ranking's path (CategoryInput.rows) and the drill-down's (IndicatorInput) agree
    import random

    rng = random.Random(seed)
    inds, rows = [], []
    for n in range(rng.randint(1, 12)):
        max_points = D(rng.randint(0, 1000)) / 100
        required = rng.choice([0, 1, 3, 4, 7, 12])
        on_time = rng.randint(0, required)
        dept = rng.choice([None, D(rng.randint(0, int(max_points * 100))) / 100])
        joint = rng.choice([None, None, D(rng.randint(0, int(max_points * 100))) / 100])
        inds.append(
            IndicatorInput(
                code=f"X-{n}",
                category="X",
                max_points=max_points,
                required_reports=required,
                on_time_reports=on_time,
                department_score=dept,
                joint_team_score=joint,
            )
        )
        rows.append((f"X-{n}", max_points, required, on_time, dept, joint))
    adjustments = (Adjustment(points=D(rng.randint(-500, 500)) / 100, reason="r", source="s"),)
    full = category_score(
        CategoryInput("X", D("25"), indicators=tuple(inds), adjustments=adjustments)
    )
    compact = category_score(CategoryInput("X", D("25"), rows=tuple(rows), adjustments=adjustments))
    assert (compact.indicator_sum, compact.score, compact.excluded) == (
        full.indicator_sum,
        full.score,
        full.excluded,
    )
    assert compact.indicators == ()
