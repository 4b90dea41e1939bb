"""scoring.md §7: the results export holds every figure needed to recompute the ranking by hand.

The workbook is downloaded through the page and read with openpyxl alone; the arithmetic of
scoring.md §1–§6 is written out here, independently of the appraisal code, and must give every
unit's category scores, bonus, votes, satisfaction, performance, total, rank, bottom position and
comprehensive adjustment as `appraisal_results --format json` (the documented JSON) states them,
for random oracle years (ties forced) as well as the hand-worked year of test_results_views."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils.translation import gettext
from openpyxl import load_workbook

from appraisal.models import AssessmentYear
from core.models import Role, UnitKind
from tests.appraisal import bundlegen
from tests.appraisal.test_bundle_oracle import import_bundle, results_text
from tests.factories import UnitFactory, make_member

pytestmark = pytest.mark.django_db

D = Decimal
CENT = D("0.01")
# Sheet order of the results workbook.
RANKING, SETTINGS, EXCLUSIONS, INDICATORS, CATEGORIES, ADJUSTMENTS, CLAIMS, VOTES = range(8)
COMPREHENSIVE, FRAUD = 8, 9


def q(value) -> Decimal:
    return D(value).quantize(CENT, rounding=ROUND_HALF_UP)


def num(value) -> Decimal:
    return D(str(value)) if value not in (None, "") else D(0)


def lines(book, index):
    return list(book[book.sheetnames[index]].values)[1:]


def recompute(content: bytes) -> dict[str, dict]:
    """Every unit's figures, from the workbook alone."""
    book = load_workbook(BytesIO(content), read_only=True)
    settings = {str(label): value for label, value in lines(book, SETTINGS) if label is not None}

    def setting(field: str):
        return settings[str(AssessmentYear._meta.get_field(field).verbose_name)]

    bonus_cap = num(setting("bonus_cap"))
    perf_w, sat_w = num(setting("performance_weight")), num(setting("satisfaction_weight"))
    additions = [D(v.strip()) for v in str(setting("rank_bonus") or "").split(",") if v.strip()]
    deductions = [D(v.strip()) for v in str(setting("bottom_penalty") or "").split(",") if v]

    # §1 indicator: cap = max × on time / required (2 dp), counted = min(given, cap)
    ind_sum: dict[tuple, Decimal] = defaultdict(D)
    for row in lines(book, INDICATORS):
        unit, category, maximum, given = row[0], row[2], num(row[5]), num(row[9])
        required, on_time, cap = int(row[10]), int(row[11]), num(row[13])
        mine = maximum if required == 0 else q(maximum * on_time / required)
        assert mine == cap, row
        counted = q(min(given, mine))
        assert counted == num(row[14]), row
        ind_sum[(unit, category)] += counted
    # §2 category: clamp(Σ indicator + Σ adjustments, 0, max); a fraud finding makes it 0
    adjustments: dict[tuple, Decimal] = defaultdict(D)
    for row in lines(book, ADJUSTMENTS):
        adjustments[(row[0], row[2])] += num(row[3])
    fraud = {(row[0], row[2]) for row in lines(book, FRAUD)}
    units: dict[str, dict] = defaultdict(lambda: {"categories": {}})
    for row in lines(book, CATEGORIES):
        unit, category, maximum = row[0], row[2], num(row[3])
        raw = ind_sum[(unit, category)] + adjustments[(unit, category)]
        score = D("0.00") if (unit, category) in fraud else q(min(max(raw, D(0)), maximum))
        units[unit]["categories"][category] = score
    # §3 bonus and performance
    counted_yes = gettext("Yes")
    points: dict[str, Decimal] = defaultdict(D)
    for row in lines(book, CLAIMS):
        if row[5] == counted_yes:
            points[row[0]] += num(row[4])
    # §4 votes and satisfaction
    for row in lines(book, VOTES):
        unit = row[0]
        counts = [int(row[i]) for i in (3, 4, 5)]
        values = [num(row[i]) for i in (7, 8, 9)]
        ballots = sum(counts)
        score = (
            q(sum(v * c for v, c in zip(values, counts, strict=True)) / ballots)
            if ballots
            else q(0)
        )
        units[unit].setdefault("votes", []).append((score, num(row[11])))
    comprehensive = {row[0]: row[9] for row in lines(book, COMPREHENSIVE)}
    for unit, figures in units.items():
        figures["bonus"] = q(min(points[unit], bonus_cap))
        figures["performance"] = q(sum(figures["categories"].values(), D(0)) + figures["bonus"])
        (deb, deb_w), (dem, dem_w) = figures.pop("votes")
        figures["debriefing"], figures["democratic"] = deb, dem
        figures["satisfaction"] = q(deb_w * deb + dem_w * dem)
        figures["total"] = q(perf_w * figures["performance"] + sat_w * figures["satisfaction"])
    # §5 competition ranking on (total, performance, satisfaction), from both ends
    keys = {u: (f["total"], f["performance"], f["satisfaction"]) for u, f in units.items()}
    for unit, figures in units.items():
        figures["rank"] = 1 + sum(1 for k in keys.values() if k > keys[unit])
        figures["bottom_position"] = 1 + sum(1 for k in keys.values() if k < keys[unit])
        # §6 comprehensive adjustment: top-rank addition and bottom-position deduction
        adjustment = D(0)
        if figures["rank"] <= len(additions):
            adjustment += additions[figures["rank"] - 1]
        if figures["bottom_position"] <= len(deductions):
            adjustment -= deductions[figures["bottom_position"] - 1]
        figures["comprehensive_adjustment"] = q(adjustment)
        given = comprehensive.get(unit)
        figures["adjusted_comprehensive"] = (
            None if given in (None, "") else q(num(given) + adjustment)
        )
    return dict(units)


def expected(document: dict) -> dict[str, dict]:
    keys = (
        "bonus",
        "performance",
        "debriefing",
        "democratic",
        "satisfaction",
        "total",
        "rank",
        "bottom_position",
        "comprehensive_adjustment",
        "adjusted_comprehensive",
    )
    out = {}
    for unit in document["units"]:
        figures = {k: unit[k] for k in keys}
        for k in keys:
            if isinstance(figures[k], str):
                figures[k] = D(figures[k])
        figures["categories"] = sorted(D(v) for v in unit["categories"].values())
        out[unit["unit"]] = figures
    return out


def comparable(mine: dict[str, dict]) -> dict[str, dict]:
    # the workbook names categories by name, the JSON by code: compare the multiset of scores
    return {u: {**f, "categories": sorted(f["categories"].values())} for u, f in mine.items()}


def download(client, year: AssessmentYear) -> bytes:
    office = make_member(
        UnitFactory(sub_district=year.sub_district, kind=UnitKind.OFFICE, code="recompute-office"),
        Role.OFFICE_STAFF,
        "recompute-office",
    )
    client.force_login(office)
    response = client.get(reverse("appraisal:results_export", args=[year.year]))
    assert response.status_code == 200
    return response.content


@pytest.mark.parametrize("seed", range(6))
def test_ranking_recomputed_from_the_export_alone(client, tmp_path, seed):
    bundle = bundlegen.random_bundle(
        random.Random(1000 + seed), n_units=random.Random(seed).randint(3, 12)
    )
    import_bundle(tmp_path, bundle)
    year = AssessmentYear.objects.get(year=bundle["year"])
    document = json.loads(results_text(year.year))
    mine = recompute(download(client, year))
    assert comparable(mine) == expected(document)


def test_hand_worked_year_recomputed_from_the_export(client, org):
    from tests.appraisal.test_results_views import make_year

    y = make_year(org)
    client.force_login(org.user(Role.AUDITOR))
    response = client.get(reverse("appraisal:results_export", args=[y.year.year]))
    mine = recompute(response.content)
    assert mine[org.community.code]["total"] == D("95.20")
    assert mine[org.community2.code]["total"] == D("64.20")
    assert mine[org.community2.code]["categories"]["宣传意识形态"] == D("0.00")  # fraud
    assert (mine[org.community.code]["rank"], mine[org.community2.code]["rank"]) == (1, 2)
    assert mine[org.community.code]["adjusted_comprehensive"] == D("92.20")
    assert mine[org.community2.code]["adjusted_comprehensive"] == D("85.00")
