"""Every setting of the year has a range (appraisal/domain/settings.py), checked by the one
function that the settings form, the settings service and the year-bundle import all call: an
absurd value is refused with a message naming the setting, nothing is saved, no page fails."""

import copy
import datetime as dt
import json
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from appraisal import services
from appraisal.domain.settings import check_settings
from appraisal.models import AssessmentYear
from core.models import AuditEvent, Role
from tests.appraisal import bundlegen
from tests.appraisal.pageform import post_data
from tests.appraisal.test_bundle_errors import assert_refused_everywhere, imported  # noqa: F401

SH = ZoneInfo("Asia/Shanghai")
D = Decimal


def _defaults() -> dict:
    year = AssessmentYear(year=2026)
    return {f: getattr(year, f) for f in services.SETTING_FIELDS}


# ---------------------------------------------------------------- the rules, without a database


def test_the_defaults_of_scoring_md_are_within_range():
    assert check_settings(_defaults(), year=2026) == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("rank_bonus", ["1E+26", "0.20"]),
        ("rank_bonus", ["100.01"]),
        ("bottom_penalty", ["-0.10"]),
        ("full_marks_ratio", D("-0.15")),
        ("full_marks_ratio", D("0")),
        ("full_marks_ratio", D("1.01")),
        ("bonus_cap", D("-1")),
        ("bonus_cap", D("100.01")),
        ("bonus_national", D("-5")),
        ("vote_satisfied", D("-100")),
        ("vote_dissatisfied", D("1000")),
        ("performance_weight", D("1.20")),
        ("grade_bands", [{"grade": "优胜", "min": "190"}, {"grade": "合格", "min": "60"}]),
        ("grade_bands", [{"grade": "优胜", "min": "60"}, {"grade": "合格", "min": "90"}]),
        ("grade_bands", []),
        ("claim_declare_by", dt.datetime(9999, 6, 30, 23, 59, tzinfo=SH)),
        ("claim_declare_by", dt.datetime(2027, 4, 1, 0, 0, tzinfo=SH)),
        ("claim_declare_by", dt.datetime(2025, 12, 31, 23, 59, tzinfo=SH)),
        ("publicity_working_days", 0),
        ("publicity_working_days", 31),
        ("rank_bonus", ["0.10"] * 51),
        ("bonus_cap", D("1.234")),
        ("bonus_cap", D("NaN")),
    ],
)
def test_absurd_value_is_a_problem_naming_the_setting(field, value):
    values = {**_defaults(), field: value}
    if field == "performance_weight":
        values["satisfaction_weight"] = D("-0.20")
    problems = check_settings(values, year=2026)
    assert problems
    assert {p.field for p in problems} <= {field, "satisfaction_weight"}


def test_deadline_window_is_the_year_and_its_first_quarter_after():
    for deadline in (
        dt.datetime(2026, 1, 1, 0, 0, tzinfo=SH),
        dt.datetime(2026, 6, 30, 23, 59, 59, tzinfo=SH),
        dt.datetime(2027, 3, 31, 23, 59, 59, tzinfo=SH),
    ):
        assert check_settings({"claim_declare_by": deadline}, year=2026) == [], deadline


def test_weights_must_still_add_up_to_one():
    problems = check_settings({**_defaults(), "performance_weight": D("0.70")}, year=2026)
    assert [p.message for p in problems] == [
        "The performance and satisfaction weights must add up to 1."
    ]


# ---------------------------------------------------------------- the form and the service


def _settings_form(client, org, year) -> tuple[str, dict]:
    client.force_login(org.user(Role.OFFICE_STAFF))
    url = reverse("appraisal:year_settings", args=[year.year])
    return url, post_data(client.get(url).content.decode(), containing="bonus_cap")


def _stored(year) -> list:
    return list(AssessmentYear.objects.filter(pk=year.pk).values_list(*services.SETTING_FIELDS))


ABSURD_FORM_VALUES = [
    ("rank_bonus_text", "1e26, 0.20, 0.10"),
    ("rank_bonus_text", "100000000000000000000000000"),
    ("full_marks_ratio", "-0.15"),
    ("bonus_cap", "-1"),
    ("vote_satisfied", "-100"),
    ("bottom_penalty_text", "250"),
    ("grade_bands_text", "优胜:190, 合格:60"),
    ("publicity_working_days", "0"),
    ("publicity_working_days", "400"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("field", "value"), ABSURD_FORM_VALUES)
def test_form_refuses_absurd_value(client, org, planning_year, field, value):
    # given the settings form as shown, one value absurd
    url, data = _settings_form(client, org, planning_year)
    data[field] = [value]
    before, events = _stored(planning_year), AuditEvent.objects.count()
    # when it is saved
    response = client.post(url, data)
    # then the form comes back with a message at the field, and nothing is saved
    assert response.status_code == 200
    assert 'class="invalid-feedback' in response.content.decode() or "is-invalid" in (
        response.content.decode()
    )
    assert _stored(planning_year) == before
    assert AuditEvent.objects.count() == events
    # and every page of the year still opens
    for name in ("appraisal:year", "appraisal:results", "appraisal:results_whatif"):
        assert client.get(reverse(name, args=[planning_year.year])).status_code == 200, name


@pytest.mark.django_db
def test_form_refuses_a_deadline_in_year_9999(client, org, planning_year):
    url, data = _settings_form(client, org, planning_year)
    data["claim_declare_by"] = ["9999-06-30T23:59"]
    before = _stored(planning_year)
    response = client.post(url, data)
    assert response.status_code == 200
    assert "申报截止时间须在" in response.content.decode()  # the declaration deadline must lie …
    assert _stored(planning_year) == before
    # a deadline in the year is taken
    data["claim_declare_by"] = [f"{planning_year.year}-06-30T23:59"]
    assert client.post(url, data).status_code == 302
    planning_year.refresh_from_db()
    assert planning_year.claim_declare_by == dt.datetime(
        planning_year.year, 6, 30, 23, 59, tzinfo=SH
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "values",
    [
        {"rank_bonus": ["1E+26"]},
        {"full_marks_ratio": D("-0.15")},
        {"bonus_cap": D("-1")},
        {"vote_satisfied": D("-100")},
        {"claim_declare_by": dt.datetime(9999, 6, 30, 23, 59, tzinfo=SH)},
        {"publicity_working_days": 0},
    ],
    ids=lambda v: next(iter(v)),
)
def test_service_refuses_absurd_value(org, planning_year, values):
    # any caller of the service (the form, the demo, a later API) gets the same check
    before = _stored(planning_year)
    with pytest.raises(ValidationError) as caught:
        services.year_update_settings(
            year_id=planning_year.pk, acting_user=org.user(Role.OFFICE_STAFF), values=values
        )
    label = str(AssessmentYear._meta.get_field(next(iter(values))).verbose_name)
    assert any(label in m for m in caught.value.messages), caught.value.messages
    assert _stored(planning_year) == before


# ---------------------------------------------------------------- the bundle import

ABSURD_BUNDLE_SETTINGS = {
    "rank_bonus": ("rank_bonus", ["99999.99", "0.20"], "settings.rank_bonus[0]"),
    "negative ratio": ("full_marks_ratio", "-0.15", "settings.full_marks_ratio"),
    "zero ratio": ("full_marks_ratio", "0.00", "settings.full_marks_ratio"),
    "ratio above 1": ("full_marks_ratio", "1.50", "settings.full_marks_ratio"),
    "negative cap": ("bonus_cap", "-1.00", "settings.bonus_cap"),
    "cap above the scale": ("bonus_cap", "500.00", "settings.bonus_cap"),
    "negative vote value": (
        "vote_values",
        {"satisfied": "-100", "basically": "60", "dissatisfied": "0"},
        "settings.vote_values.satisfied",
    ),
    "level points": (
        "bonus_points",
        {"district": "1.00", "city": "2.00", "province": "3.00", "national": "5000.00"},
        "settings.bonus_points.national",
    ),
    "penalty": ("bottom_penalty", ["0.20", "101.00"], "settings.bottom_penalty[1]"),
    "band above 100": (
        "grade_bands",
        [{"grade": "优胜", "min": "190.00"}, {"grade": "合格", "min": "60.00"}],
        "settings.grade_bands[0]",
    ),
    "weights": ("performance_weight", "0.70", "settings.satisfaction_weight"),
}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("key", "value", "path"), ABSURD_BUNDLE_SETTINGS.values(), ids=ABSURD_BUNDLE_SETTINGS.keys()
)
def test_bundle_refuses_absurd_setting(tmp_path, imported, key, value, path):  # noqa: F811
    bad = copy.deepcopy(bundlegen.small_bundle())
    bad.setdefault("settings", {})[key] = value
    json.dumps(bad)
    assert_refused_everywhere(tmp_path, imported, bad, path)
