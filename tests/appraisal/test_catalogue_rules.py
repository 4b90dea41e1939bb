"""The catalogue's rules exist once (appraisal.domain.catalogue) and every way in calls them: the
catalogue services, the catalogue workbook and the year bundle (Art. 4, 5, 7). The grade bands'
order is one rule of domain.settings, refused by the settings service as by the bundle."""

import copy
import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from appraisal import services
from appraisal.domain import catalogue as rules
from appraisal.files.bundle import BundleError, parse
from appraisal.models import Category, Schedule
from core.models import Role
from tests.appraisal import bundlegen

D = Decimal


# ---------------------------------------------------------------- the pure rules


def test_the_maxima_add_up_to_100():
    assert rules.maxima_total([D("25"), D("40"), D("20"), D("15")]) is None
    assert rules.maxima_total([D("25"), D("40"), D("20"), D("20")]) == D("105")
    assert rules.maxima_total([]) == D("0")


def test_an_indicator_stays_within_its_category():
    assert not rules.over_category(D("40"), D("40"))
    assert rules.over_category(D("40.01"), D("40"))


@pytest.mark.parametrize(
    ("schedule", "due", "verdict"),
    [
        ("once", dt.date(2026, 3, 31), None),
        ("once", None, rules.DUE_DATE_MISSING),
        ("once", dt.date(2027, 1, 1), rules.DUE_DATE_OUTSIDE),
        ("quarterly", None, None),
        ("quarterly", dt.date(2026, 3, 31), rules.DUE_DATE_NOT_ONCE),
    ],
)
def test_only_a_one_off_report_has_its_own_due_date(schedule, due, verdict):
    assert rules.due_date_problem(schedule, due, 2026) == verdict


# ---------------------------------------------------------------- every way in calls them


def test_the_service_refuses_a_catalogue_whose_maxima_do_not_add_up(org, planning_year):
    office = org.user(Role.OFFICE_STAFF)
    lead = Category.objects.filter(year=planning_year).first().lead_unit
    categories = [
        {"code": "LZ", "name": "党风", "department": "d", "lead_unit": lead, "max_points": D(60)},
        {"code": "ZZ", "name": "组织", "department": "d", "lead_unit": lead, "max_points": D(60)},
    ]
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        services.catalogue_replace(
            year_id=planning_year.pk, acting_user=office, categories=categories, indicators=[]
        )
    assert caught.value.messages == ["The category maxima add up to 120, not 100 (Art. 4)."]
    indicator = {
        "code": "LZ-01",
        "category": "LZ",
        "name": "x",
        "description": "",
        "max_points": D("61"),
        "evidence_required": False,
        "schedule": Schedule.NONE,
        "due_date": None,
    }
    categories[1]["max_points"] = D(40)
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        services.catalogue_replace(
            year_id=planning_year.pk,
            acting_user=office,
            categories=categories,
            indicators=[indicator],
        )
    assert "more than the maximum of category LZ" in caught.value.messages[0]


def test_the_bundle_refuses_maxima_that_do_not_add_up():
    bundle = copy.deepcopy(bundlegen.small_bundle())
    bundle["categories"][0]["max_points"] = "99.00"
    with pytest.raises(BundleError) as caught:
        parse(bundle)
    assert caught.value.path == "categories"


def test_grade_bands_best_first_in_the_service_and_the_bundle(org, planning_year):
    bands = [{"grade": "合格", "min": "60"}, {"grade": "优胜", "min": "90"}]
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        services.year_update_settings(
            year_id=planning_year.pk,
            acting_user=org.user(Role.OFFICE_STAFF),
            values={"grade_bands": bands},
        )
    assert any("best first" in m for m in caught.value.messages), caught.value.messages
    bundle = copy.deepcopy(bundlegen.small_bundle())
    bundle.setdefault("settings", {})["grade_bands"] = [
        {"grade": "合格", "min": "60.00"},
        {"grade": "优胜", "min": "90.00"},
    ]
    with pytest.raises(BundleError) as caught:
        parse(bundle)
    assert caught.value.path == "settings.grade_bands[1]"
    with translation.override("en"):
        assert "best first" in str(caught.value)
