"""Across years (Art. 20, 整改一项、销号一项): the next year's feedback letter lists the items of
the community's previous plan not closed, and the plan made from that letter carries each of
them on (its item repeats the old one); closed items, other communities' plans and other years'
plans are not listed."""

from __future__ import annotations

import random

import pytest
from django.urls import reverse

from appraisal.documents import build
from appraisal.documents.facts import CarriedItem, year_facts
from appraisal.documents.letters import CARRIED_MARK, carried_text, problems
from appraisal.models import AssessedUnit, AssessmentYear
from core.models import Role, UnitKind
from rectification.models import PlanItemSource, PlanItemState, RectificationPlan
from rectification.plans.creation import carried_ref
from tests.appraisal import bundlegen
from tests.appraisal.test_bundle_oracle import import_bundle
from tests.appraisal.test_year_documents import previous_plan, publish, text_of
from tests.factories import UnitFactory, make_member
from workflows.plans import plans_start

pytestmark = pytest.mark.django_db


def _year(tmp_path, seed=4400, n_units=3) -> AssessmentYear:
    bundle = bundlegen.random_bundle(random.Random(seed), n_units=n_units, settings_mode="default")
    import_bundle(tmp_path, bundle)
    return AssessmentYear.objects.get(year=bundle["year"])


def _letters(year) -> dict[str, str]:
    return {
        name.removesuffix(".docx"): text_of(content)
        for name, content in build.year_documents(year=year, formats=("docx",))
        if not name.startswith("bulletin")
    }


def test_the_letter_lists_only_the_open_item_and_the_new_plan_repeats_it(tmp_path):
    year = _year(tmp_path)
    first, other = AssessedUnit.objects.filter(year=year).order_by("code")[:2]
    closed, open_item = previous_plan(year, first.unit_id, [PlanItemState.CLOSED, "in_progress"])
    # a plan two years back and the plan of the same year are not the previous plan
    two_back = previous_plan(year, other.unit_id, ["in_progress"])[0]
    RectificationPlan.objects.filter(pk=two_back.plan_id).update(year=year.year - 2)

    year = publish(year)
    letters = _letters(year)
    text = letters[first.code]
    assert text.count(CARRIED_MARK) == 1
    assert f"{year.year - 1}年度整改方案第2项：上年度问题2：台账不全（正在整改）。" in text
    assert "上年度问题1" not in text  # the closed item is not listed
    # the item is the last numbered problem, and 三、整改要求 asks for it to be carried on
    problems_part = text.split("二、存在的问题")[1].split("三、整改要求")[0]
    assert problems_part.strip().splitlines()[-1].endswith("台账不全（正在整改）。")
    demand = text.split("三、整改要求")[1]
    assert f"{year.year - 1}年度整改方案中尚有1项整改事项未销号" in demand
    for code, other_text in letters.items():
        if code != first.code:
            assert CARRIED_MARK not in other_text and "项整改事项未销号" not in other_text, code

    # the plan made from the letter: its carried item names and repeats the open one
    office = make_member(
        UnitFactory(sub_district=year.sub_district, kind=UnitKind.OFFICE, code="carry-office"),
        Role.OFFICE_STAFF,
    )
    plans_start(year=year, acting_user=office)
    plan = RectificationPlan.objects.get(unit_id=first.unit_id, year=year.year)
    (item,) = plan.items.filter(source_kind=PlanItemSource.CARRIED)
    assert item.position == plan.items.count()  # the letter's order
    assert item.repeated_from_id == open_item.pk
    assert item.source_ref == carried_ref(open_item.pk)
    assert item.source_url == reverse("plan_item", args=[open_item.pk])
    assert item.problem.startswith(CARRIED_MARK) and "上年度问题2" in item.problem
    assert item.state == PlanItemState.DRAFT
    assert not closed.repeated_in.exists()
    other_plan = RectificationPlan.objects.get(unit_id=other.unit_id, year=year.year)
    assert not other_plan.items.filter(source_kind=PlanItemSource.CARRIED).exists()


def test_a_carried_item_keeps_its_category_so_its_lead_department_follows(tmp_path):
    year = _year(tmp_path, seed=4401)
    au = AssessedUnit.objects.filter(year=year).order_by("code").first()
    category = year.categories.order_by("sort_order").first()
    indicator = category.indicators.order_by("sort_order", "code").first()
    (old,) = previous_plan(year, au.unit_id, ["awaiting"])
    old.__class__.objects.filter(pk=old.pk).update(
        category_code=category.code, indicator_code=indicator.code
    )
    year = publish(year)
    facts = year_facts(year)
    unit = facts.computed.results.unit(au.code)
    (carried,) = [p for p in problems(facts, unit) if p.kind == "carried"]
    assert (carried.category, carried.indicator, carried.ref) == (
        category.code,
        indicator.code,
        str(old.pk),
    )
    assert carried.text.endswith("（已申请销号，待核实）。")
    office = make_member(
        UnitFactory(sub_district=year.sub_district, kind=UnitKind.OFFICE, code="carry-office2"),
        Role.OFFICE_STAFF,
    )
    plans_start(year=year, acting_user=office)
    item = RectificationPlan.objects.get(unit_id=au.unit_id, year=year.year).items.get(
        source_kind=PlanItemSource.CARRIED
    )
    assert item.repeated_from_id == old.pk
    assert item.category_code == category.code and item.indicator_code == indicator.code
    assert item.department_id == category.lead_unit_id


def test_a_draft_letter_lists_them_too(tmp_path):
    year = _year(tmp_path, seed=4402)
    au = AssessedUnit.objects.filter(year=year).order_by("code").first()
    previous_plan(year, au.unit_id, ["draft", "closed", "awaiting"])
    letters = _letters(year)  # not published: the drafts
    assert letters[au.code].count(CARRIED_MARK) == 2
    assert "尚有2项整改事项未销号" in letters[au.code]


def test_an_item_carried_again_names_its_problem_once():
    first = carried_text(2025, CarriedItem(1, 3, "廉政谈话记录不全。", "in_progress"))
    assert first == "【上年度整改事项未销号】2025年度整改方案第3项：廉政谈话记录不全（正在整改）。"
    again = carried_text(2026, CarriedItem(2, 1, first, "draft"))
    assert again.count(CARRIED_MARK) == 1
    assert again.startswith(f"{CARRIED_MARK}2026年度整改方案第1项：廉政谈话记录不全（")
