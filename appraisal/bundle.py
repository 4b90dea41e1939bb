"""The year bundle (../shared/spec/year-bundle.md): one assessment year's inputs as one JSON file.

`parse` checks a whole bundle before anything is written and names the offending path of the
first problem (`scores[17].department_score: 6.00 exceeds max_points 5.00`). `import_bundle` writes
it in one transaction, replacing an unpublished year; `export_bundle` writes the same structure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext, override

from core.audit import audit_record
from core.models import SubDistrict, Unit, UnitKind, WorkItem

from .domain import settings as settings_rules
from .domain.model import MAX_BALLOTS
from .models import (
    SCHEDULE_REPORTS,
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
    Schedule,
    Score,
    Vote,
    VoteKind,
    YearStatus,
)
from .results import dec, iso

FORMAT = "rectify-year-bundle/1"
DECIMAL_RE = re.compile(r"^-?\d{1,5}(\.\d{1,2})?$")
CODE_RE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")

TOP_KEYS = {
    "format",
    "year",
    "as_of",
    "settings",
    "units",
    "categories",
    "indicators",
    "reports",
    "scores",
    "adjustments",
    "fraud_findings",
    "bonus_claims",
    "votes",
    "comprehensive",
    "full_marks_exceptions",
}
SETTING_KEYS = {
    "performance_weight",
    "satisfaction_weight",
    "full_marks_ratio",
    "bonus_cap",
    "bonus_points",
    "vote_values",
    "debriefing_weight",
    "democratic_weight",
    "rank_bonus",
    "bottom_penalty",
    "grade_bands",
}
SCALAR_SETTINGS = {
    "performance_weight": "performance_weight",
    "satisfaction_weight": "satisfaction_weight",
    "full_marks_ratio": "full_marks_ratio",
    "bonus_cap": "bonus_cap",
    "debriefing_weight": "debriefing_weight",
    "democratic_weight": "democratic_weight",
}
LEVEL_FIELDS = {
    "district": "bonus_district",
    "city": "bonus_city",
    "province": "bonus_province",
    "national": "bonus_national",
}
VOTE_FIELDS = {
    "satisfied": "vote_satisfied",
    "basically": "vote_basically",
    "dissatisfied": "vote_dissatisfied",
}
CLAIM_STATUSES = {s.value for s in ClaimState}


class _(str):
    """A message rendered when shown, in the language active then (the commands print it in
    Chinese and English). Marked for makemessages like gettext."""

    params: dict | None = None

    def __mod__(self, params):
        message = _(self)
        message.params = params
        return message

    def render(self) -> str:
        text = gettext(str.__str__(self))
        if not self.params:
            return text
        return text % {k: v.render() if isinstance(v, _) else v for k, v in self.params.items()}


class BundleError(ValueError):
    """A bad bundle: `path` names where, the message says what."""

    def __init__(self, path: str, message):
        self.path = path
        self.message = message
        super().__init__(path)

    def __str__(self) -> str:
        text = self.message.render() if isinstance(self.message, _) else str(self.message)
        return f"{self.path}: {text}" if self.path else text

    def bilingual(self) -> str:
        with override("zh-hans"):
            zh = str(self)
        with override("en"):
            en = str(self)
        return zh if zh == en else f"{zh} / {en}"


# ---------------------------------------------------------------- field checks


def _obj(value: Any, path: str, required: set[str], optional: set[str] = frozenset()) -> dict:
    if not isinstance(value, dict):
        raise BundleError(path, _("must be an object"))
    unknown = sorted(set(value) - required - set(optional))
    if unknown:
        raise BundleError(f"{path}.{unknown[0]}" if path else unknown[0], _("unknown key"))
    missing = sorted(required - set(value))
    if missing:
        raise BundleError(f"{path}.{missing[0]}" if path else missing[0], _("missing"))
    return value


def _list(value: Any, path: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise BundleError(path, _("must be a list"))
    return value


def _dec(value: Any, path: str, *, nullable: bool = False) -> Decimal | None:
    if value is None and nullable:
        return None
    if not isinstance(value, str) or not DECIMAL_RE.match(value):
        raise BundleError(
            path,
            _("%(value)s is not a decimal string with at most 2 decimal places")
            % {"value": _show(value)},
        )
    return Decimal(value)


def _show(value: Any) -> str:
    return repr(value) if not isinstance(value, str) else f'"{value}"'


def _int(value: Any, path: str, *, minimum: int = 0, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise BundleError(path, _("%(value)s is not a whole number") % {"value": _show(value)})
    if value < minimum:
        raise BundleError(path, _("%(value)s is below %(min)s") % {"value": value, "min": minimum})
    if maximum is not None and value > maximum:
        raise BundleError(path, _("%(value)s is above %(max)s") % {"value": value, "max": maximum})
    return value


def _str(value: Any, path: str, *, max_length: int = 200, blank: bool = False) -> str:
    if not isinstance(value, str) or (not blank and not value.strip()):
        raise BundleError(path, _("must be a non-empty text"))
    if "\x00" in value:
        raise BundleError(path, _("contains a NUL character"))
    if len(value) > max_length:
        raise BundleError(path, _("is longer than %(n)s characters") % {"n": max_length})
    return value


def _time(value: Any, path: str, *, nullable: bool = False) -> datetime | None:
    if value is None and nullable:
        return None
    parsed = None
    if isinstance(value, str):
        try:
            parsed = parse_datetime(value)
        except ValueError:
            parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise BundleError(
            path,
            _("%(value)s is not an ISO-8601 time with an offset") % {"value": _show(value)},
        )
    return parsed


def _date(value: Any, path: str) -> date:
    parsed = None
    if isinstance(value, str):
        try:
            parsed = parse_date(value)
        except ValueError:
            parsed = None
    if parsed is None:
        raise BundleError(path, _("%(value)s is not a date (YYYY-MM-DD)") % {"value": _show(value)})
    return parsed


def _ref(value: Any, path: str, known: dict, what: str):
    if not isinstance(value, str) or value not in known:
        raise BundleError(
            path,
            _("%(value)s is not a %(what)s of this bundle") % {"value": _show(value), "what": what},
        )
    return known[value]


def _range(value: Decimal, path: str, low: Decimal, high: Decimal | None = None) -> Decimal:
    if value < low or (high is not None and value > high):
        raise BundleError(
            path,
            _("%(value)s is outside [%(low)s, %(high)s]")
            % {"value": value, "low": low, "high": high if high is not None else "∞"},
        )
    return value


# ---------------------------------------------------------------- parsed bundle


@dataclass
class Parsed:
    year: int
    as_of: datetime | None
    settings: dict[str, Any]
    units: list[dict]
    categories: list[dict]
    indicators: list[dict]
    reports: list[dict]
    scores: list[dict]
    adjustments: list[dict]
    fraud: list[dict]
    claims: list[dict]
    votes: list[dict]
    comprehensive: list[dict]
    exceptions: list[dict]


def _settings(raw: Any) -> dict[str, Any]:
    if raw is None:
        return {}
    raw = _obj(raw, "settings", set(), SETTING_KEYS)
    out: dict[str, Any] = {}
    for key, field in SCALAR_SETTINGS.items():
        if key in raw:
            out[field] = _range(_dec(raw[key], f"settings.{key}"), f"settings.{key}", Decimal(0))
    if "bonus_points" in raw:
        levels = _obj(raw["bonus_points"], "settings.bonus_points", set(), set(LEVEL_FIELDS))
        for key, value in levels.items():
            path = f"settings.bonus_points.{key}"
            out[LEVEL_FIELDS[key]] = _range(_dec(value, path), path, Decimal(0))
    if "vote_values" in raw:
        values = _obj(raw["vote_values"], "settings.vote_values", set(), set(VOTE_FIELDS))
        for key, value in values.items():
            out[VOTE_FIELDS[key]] = _dec(value, f"settings.vote_values.{key}")
    for key in ("rank_bonus", "bottom_penalty"):
        if key in raw:
            items = _list(raw[key], f"settings.{key}")
            out[key] = [
                str(_range(_dec(v, f"settings.{key}[{i}]"), f"settings.{key}[{i}]", Decimal(0)))
                for i, v in enumerate(items)
            ]
    if "grade_bands" in raw:
        bands = _list(raw["grade_bands"], "settings.grade_bands")
        if not bands:
            raise BundleError("settings.grade_bands", _("needs at least one band"))
        parsed = []
        previous = None
        for i, band in enumerate(bands):
            path = f"settings.grade_bands[{i}]"
            band = _obj(band, path, {"grade", "min"})
            grade = _str(band["grade"], f"{path}.grade", max_length=20)
            minimum = _dec(band["min"], f"{path}.min")
            if previous is not None and minimum >= previous:
                raise BundleError(f"{path}.min", _("bands must be listed best first"))
            previous = minimum
            parsed.append({"grade": grade, "min": str(minimum)})
        out["grade_bands"] = parsed
    _check_ranges(out)
    return out


def _setting_path(field: str, index: int | None) -> str:
    """The bundle path of a setting named by its model field (domain.settings.Problem)."""
    levels = {f: k for k, f in LEVEL_FIELDS.items()}
    votes = {f: k for k, f in VOTE_FIELDS.items()}
    if field in levels:
        path = f"settings.bonus_points.{levels[field]}"
    elif field in votes:
        path = f"settings.vote_values.{votes[field]}"
    else:
        path = f"settings.{field}"
    return path if index is None else f"{path}[{index}]"


def _check_ranges(settings: dict[str, Any]) -> None:
    """The ranges of domain.settings, the check the settings form and service make too, on the
    settings as the year will hold them (the defaults of scoring.md for absent keys)."""
    fields = [*SCALAR_SETTINGS.values(), *LEVEL_FIELDS.values(), *VOTE_FIELDS.values()]
    fields += ["rank_bonus", "bottom_penalty", "grade_bands"]
    effective = {f: AssessmentYear._meta.get_field(f).get_default() for f in fields}
    effective.update(settings)
    problems = settings_rules.check_settings(effective)
    if problems:
        problem = problems[0]
        raise BundleError(
            _setting_path(problem.field, problem.index), _(problem.message) % problem.params
        )


def parse(raw: Any) -> Parsed:
    """Check every part of the bundle; raise BundleError naming the first bad path."""
    raw = _obj(raw, "", {"format", "year", "units", "categories"}, TOP_KEYS)
    if raw["format"] != FORMAT:
        raise BundleError("format", _("must be “%(format)s”") % {"format": FORMAT})
    year = _int(raw["year"], "year", minimum=2000)
    if year > 2100:
        raise BundleError("year", _("%(value)s is not a plausible year") % {"value": year})
    as_of = _time(raw.get("as_of"), "as_of", nullable=True)
    settings = _settings(raw.get("settings"))

    units: dict[str, dict] = {}
    for i, item in enumerate(_list(raw["units"], "units")):
        path = f"units[{i}]"
        item = _obj(item, path, {"code", "name"})
        code = item["code"]
        if not isinstance(code, str) or not CODE_RE.match(code):
            raise BundleError(
                f"{path}.code",
                _("%(value)s is not a code (letters, digits, -)") % {"value": _show(code)},
            )
        if code in units:
            raise BundleError(f"{path}.code", _("%(value)s appears twice") % {"value": code})
        units[code] = {"code": code, "name": _str(item["name"], f"{path}.name", max_length=100)}
    names = [u["name"] for u in units.values()]
    if len(set(names)) != len(names):
        index = next(i for i, n in enumerate(names) if names.count(n) > 1)
        raise BundleError(f"units[{index}].name", _("appears twice"))

    categories: dict[str, dict] = {}
    for i, item in enumerate(_list(raw["categories"], "categories")):
        path = f"categories[{i}]"
        item = _obj(item, path, {"code", "name", "department", "max_points"})
        code = item["code"]
        if not isinstance(code, str) or not CODE_RE.match(code):
            raise BundleError(
                f"{path}.code",
                _("%(value)s is not a code (letters, digits, -)") % {"value": _show(code)},
            )
        if code in categories:
            raise BundleError(f"{path}.code", _("%(value)s appears twice") % {"value": code})
        categories[code] = {
            "code": code,
            "name": _str(item["name"], f"{path}.name", max_length=100),
            "department": _str(item["department"], f"{path}.department", max_length=100),
            "max_points": _range(
                _dec(item["max_points"], f"{path}.max_points"), f"{path}.max_points", Decimal(0)
            ),
            "order": i,
        }
    if categories:
        total = sum(c["max_points"] for c in categories.values())
        if total != 100:
            raise BundleError(
                "categories",
                _("the maxima add up to %(total)s, not 100.00 (Art. 4)") % {"total": dec(total)},
            )

    indicators: dict[str, dict] = {}
    for i, item in enumerate(_list(raw.get("indicators"), "indicators")):
        path = f"indicators[{i}]"
        item = _obj(item, path, {"code", "category", "name", "max_points", "required_reports"})
        code = item["code"]
        if not isinstance(code, str) or not CODE_RE.match(code):
            raise BundleError(
                f"{path}.code",
                _("%(value)s is not a code (letters, digits, -)") % {"value": _show(code)},
            )
        if code in indicators:
            raise BundleError(f"{path}.code", _("%(value)s appears twice") % {"value": code})
        category = _ref(item["category"], f"{path}.category", categories, _("category"))
        indicators[code] = {
            "code": code,
            "category": category["code"],
            "name": _str(item["name"], f"{path}.name"),
            "max_points": _range(
                _dec(item["max_points"], f"{path}.max_points"), f"{path}.max_points", Decimal(0)
            ),
            "required_reports": _int(item["required_reports"], f"{path}.required_reports"),
        }
        if indicators[code]["required_reports"] > 366:
            raise BundleError(f"{path}.required_reports", _("more than 366 reports a year"))

    reports = []
    seen: set[tuple] = set()
    for i, item in enumerate(_list(raw.get("reports"), "reports")):
        path = f"reports[{i}]"
        item = _obj(item, path, {"unit", "indicator", "period", "due_at", "submitted_at"})
        unit = _ref(item["unit"], f"{path}.unit", units, _("unit"))
        ind = _ref(item["indicator"], f"{path}.indicator", indicators, _("indicator"))
        period = _int(item["period"], f"{path}.period", minimum=1)
        if period > ind["required_reports"]:
            raise BundleError(
                f"{path}.period",
                _("%(period)s exceeds required_reports %(n)s")
                % {"period": period, "n": ind["required_reports"]},
            )
        key = (unit["code"], ind["code"], period)
        if key in seen:
            raise BundleError(path, _("a second report for the same unit, indicator and period"))
        seen.add(key)
        reports.append(
            {
                "unit": unit["code"],
                "indicator": ind["code"],
                "period": period,
                "due_at": _time(item["due_at"], f"{path}.due_at"),
                "submitted_at": _time(item["submitted_at"], f"{path}.submitted_at", nullable=True),
            }
        )

    scores = []
    seen = set()
    for i, item in enumerate(_list(raw.get("scores"), "scores")):
        path = f"scores[{i}]"
        item = _obj(item, path, {"unit", "indicator"}, {"department_score", "verified_score"})
        unit = _ref(item["unit"], f"{path}.unit", units, _("unit"))
        ind = _ref(item["indicator"], f"{path}.indicator", indicators, _("indicator"))
        values = {}
        for key in ("department_score", "verified_score"):
            value = _dec(item.get(key), f"{path}.{key}", nullable=True)
            if value is not None and value > ind["max_points"]:
                raise BundleError(
                    f"{path}.{key}",
                    _("%(value)s exceeds max_points %(max)s")
                    % {"value": dec(value), "max": dec(ind["max_points"])},
                )
            if value is not None and value < 0:
                raise BundleError(f"{path}.{key}", _("%(value)s is negative") % {"value": value})
            values[key] = value
        key = (unit["code"], ind["code"])
        if key in seen:
            raise BundleError(path, _("a second score for the same unit and indicator"))
        seen.add(key)
        scores.append({"unit": unit["code"], "indicator": ind["code"], **values})

    adjustments = []
    for i, item in enumerate(_list(raw.get("adjustments"), "adjustments")):
        path = f"adjustments[{i}]"
        item = _obj(item, path, {"unit", "category", "points", "reason", "source", "date"})
        adjustments.append(
            {
                "unit": _ref(item["unit"], f"{path}.unit", units, _("unit"))["code"],
                "category": _ref(item["category"], f"{path}.category", categories, _("category"))[
                    "code"
                ],
                "points": _dec(item["points"], f"{path}.points"),
                "reason": _str(item["reason"], f"{path}.reason", max_length=5000),
                "source": _str(item["source"], f"{path}.source", max_length=100),
                "date": _date(item["date"], f"{path}.date"),
            }
        )

    fraud = []
    for i, item in enumerate(_list(raw.get("fraud_findings"), "fraud_findings")):
        path = f"fraud_findings[{i}]"
        item = _obj(item, path, {"unit", "category", "reason"})
        fraud.append(
            {
                "unit": _ref(item["unit"], f"{path}.unit", units, _("unit"))["code"],
                "category": _ref(item["category"], f"{path}.category", categories, _("category"))[
                    "code"
                ],
                "reason": _str(item["reason"], f"{path}.reason", max_length=5000),
            }
        )

    claims = []
    for i, item in enumerate(_list(raw.get("bonus_claims"), "bonus_claims")):
        path = f"bonus_claims[{i}]"
        item = _obj(
            item,
            path,
            {"unit", "level", "title", "declared_at", "declare_by", "status"},
            {"publicity_ends_at"},
        )
        if item["level"] not in LEVEL_FIELDS:
            raise BundleError(
                f"{path}.level",
                _("%(value)s is not a bonus level") % {"value": _show(item["level"])},
            )
        if item["status"] not in CLAIM_STATUSES:
            raise BundleError(
                f"{path}.status",
                _("%(value)s is not a claim status") % {"value": _show(item["status"])},
            )
        claims.append(
            {
                "unit": _ref(item["unit"], f"{path}.unit", units, _("unit"))["code"],
                "level": item["level"],
                "title": _str(item["title"], f"{path}.title"),
                "declared_at": _time(item["declared_at"], f"{path}.declared_at", nullable=True),
                "declare_by": _time(item["declare_by"], f"{path}.declare_by"),
                "status": item["status"],
                "publicity_ends_at": _time(
                    item.get("publicity_ends_at"), f"{path}.publicity_ends_at", nullable=True
                ),
            }
        )

    votes = []
    seen = set()
    for i, item in enumerate(_list(raw.get("votes"), "votes")):
        path = f"votes[{i}]"
        item = _obj(item, path, {"unit", "kind", "satisfied", "basically", "dissatisfied"})
        unit = _ref(item["unit"], f"{path}.unit", units, _("unit"))
        if item["kind"] not in VoteKind.values:
            raise BundleError(
                f"{path}.kind", _("%(value)s is not a vote kind") % {"value": _show(item["kind"])}
            )
        key = (unit["code"], item["kind"])
        if key in seen:
            raise BundleError(path, _("a second vote of the same kind for the unit"))
        seen.add(key)
        votes.append(
            {
                "unit": unit["code"],
                "kind": item["kind"],
                **{
                    k: _int(item[k], f"{path}.{k}", maximum=MAX_BALLOTS)
                    for k in ("satisfied", "basically", "dissatisfied")
                },
            }
        )

    comprehensive = []
    seen = set()
    for i, item in enumerate(_list(raw.get("comprehensive"), "comprehensive")):
        path = f"comprehensive[{i}]"
        item = _obj(item, path, {"unit", "score", "advanced"})
        unit = _ref(item["unit"], f"{path}.unit", units, _("unit"))
        if unit["code"] in seen:
            raise BundleError(path, _("a second entry for the unit"))
        seen.add(unit["code"])
        if not isinstance(item["advanced"], bool):
            raise BundleError(f"{path}.advanced", _("must be true or false"))
        comprehensive.append(
            {
                "unit": unit["code"],
                "score": _range(
                    _dec(item["score"], f"{path}.score"), f"{path}.score", Decimal(0), Decimal(100)
                ),
                "advanced": item["advanced"],
            }
        )

    exceptions = []
    seen = set()
    for i, item in enumerate(_list(raw.get("full_marks_exceptions"), "full_marks_exceptions")):
        path = f"full_marks_exceptions[{i}]"
        item = _obj(item, path, {"category", "reason"})
        cat = _ref(item["category"], f"{path}.category", categories, _("category"))
        if cat["code"] in seen:
            raise BundleError(path, _("a second exception for the category"))
        seen.add(cat["code"])
        exceptions.append(
            {
                "category": cat["code"],
                "reason": _str(item["reason"], f"{path}.reason", max_length=5000),
            }
        )

    return Parsed(
        year=year,
        as_of=as_of,
        settings=settings,
        units=list(units.values()),
        categories=list(categories.values()),
        indicators=list(indicators.values()),
        reports=reports,
        scores=scores,
        adjustments=adjustments,
        fraud=fraud,
        claims=claims,
        votes=votes,
        comprehensive=comprehensive,
        exceptions=exceptions,
    )


# ---------------------------------------------------------------- import


def _schedule_for(required: int) -> str:
    for schedule, n in SCHEDULE_REPORTS.items():
        if n == required and schedule != Schedule.ONCE:
            return schedule
    return Schedule.CUSTOM


def _department_line(code: str) -> str:
    return code.lower() if code.lower() in {"lz", "zz", "xc"} else ""


@transaction.atomic
def import_bundle(parsed: Parsed, sub_district: SubDistrict, *, actor=None) -> dict[str, int]:
    """Write the bundle as the year of `sub_district`; replaces an unpublished year."""
    existing = (
        AssessmentYear.objects.select_for_update()
        .filter(sub_district=sub_district, year=parsed.year)
        .first()
    )
    replaced = existing is not None
    if existing is not None:
        if existing.inputs_closed:
            # Art. 16: decided results change only through a correction, never by a new import.
            raise BundleError(
                "year",
                _("%(year)s is %(status)s; a decided or published year cannot be replaced")
                % {"year": parsed.year, "status": existing.get_status_display()},
            )
        report_ids = Report.objects.filter(year=existing).values("pk")
        WorkItem.objects.filter(
            subject_type__app_label="appraisal",
            subject_type__model="report",
            subject_id__in=report_ids,
        ).delete()
        existing.delete()

    year = AssessmentYear(
        sub_district=sub_district,
        year=parsed.year,
        status=YearStatus.YEAR_END,
        as_of=parsed.as_of,
        **parsed.settings,
    )
    year.save()

    # Units: matched by code among the sub-district's units; created when new.
    known = {u.code: u for u in Unit.objects.filter(sub_district=sub_district)}
    by_name = {u.name: u for u in known.values()}
    unit_of: dict[str, Unit] = {}
    for i, item in enumerate(parsed.units):
        unit = known.get(item["code"])
        if unit is None:
            other = by_name.get(item["name"])
            if other is not None:
                raise BundleError(
                    f"units[{i}].name",
                    _("%(name)s is already the name of unit %(code)s")
                    % {"name": item["name"], "code": other.code},
                )
            unit = Unit.objects.create(
                sub_district=sub_district,
                kind=UnitKind.COMMUNITY,
                code=item["code"],
                name=item["name"],
                sort_order=i + 1,
            )
        elif unit.kind != UnitKind.COMMUNITY:
            raise BundleError(
                f"units[{i}].code",
                _("%(code)s is a unit of this sub-district that is not a community")
                % {"code": item["code"]},
            )
        unit_of[item["code"]] = unit
    AssessedUnit.objects.bulk_create(
        AssessedUnit(year=year, unit=unit_of[u["code"]], code=u["code"], name=u["name"])
        for u in parsed.units
    )

    departments = {
        u.name: u
        for u in Unit.objects.filter(
            sub_district=sub_district, kind__in=[UnitKind.DEPARTMENT, UnitKind.OFFICE]
        )
    }
    lines = {
        u.line: u for u in Unit.objects.filter(sub_district=sub_district, kind=UnitKind.DEPARTMENT)
    }
    office = Unit.objects.filter(sub_district=sub_district, kind=UnitKind.OFFICE).first()
    category_of: dict[str, Category] = {}
    for c in parsed.categories:
        lead = departments.get(c["department"]) or lines.get(_department_line(c["code"]))
        if lead is None and c["code"].upper() == "QT":
            lead = office
        category_of[c["code"]] = Category.objects.create(
            year=year,
            code=c["code"],
            name=c["name"],
            department=c["department"],
            lead_unit=lead,
            max_points=c["max_points"],
            sort_order=c["order"],
        )
    indicator_of: dict[str, Indicator] = {}
    for n, ind in enumerate(parsed.indicators):
        indicator_of[ind["code"]] = Indicator(
            year=year,
            category=category_of[ind["category"]],
            code=ind["code"],
            name=ind["name"],
            max_points=ind["max_points"],
            required_reports=ind["required_reports"],
            schedule=_schedule_for(ind["required_reports"]),
            sort_order=n,
        )
    Indicator.objects.bulk_create(indicator_of.values())

    Report.objects.bulk_create(
        (
            Report(
                year=year,
                unit=unit_of[r["unit"]],
                indicator=indicator_of[r["indicator"]],
                period=r["period"],
                due_at=r["due_at"],
                submitted_at=r["submitted_at"],
            )
            for r in parsed.reports
        ),
        batch_size=5000,
    )
    Score.objects.bulk_create(
        (
            Score(
                year=year,
                unit=unit_of[s["unit"]],
                indicator=indicator_of[s["indicator"]],
                department_score=s["department_score"],
                verified_score=s["verified_score"],
            )
            for s in parsed.scores
        ),
        batch_size=5000,
    )
    Adjustment.objects.bulk_create(
        Adjustment(
            year=year,
            unit=unit_of[a["unit"]],
            category=category_of[a["category"]],
            points=a["points"],
            reason=a["reason"],
            source=a["source"],
            date=a["date"],
            recorded_by=actor,
        )
        for a in parsed.adjustments
    )
    FraudFinding.objects.bulk_create(
        FraudFinding(
            year=year,
            unit=unit_of[f["unit"]],
            category=category_of[f["category"]],
            reason=f["reason"],
            state=FraudState.UPHELD,
            recorded_by=actor,
        )
        for f in parsed.fraud
    )
    BonusClaim.objects.bulk_create(
        BonusClaim(
            year=year,
            unit=unit_of[c["unit"]],
            level=c["level"],
            title=c["title"],
            declared_at=c["declared_at"],
            declare_by=c["declare_by"],
            status=c["status"],
            publicity_ends_at=c["publicity_ends_at"],
            sort_order=i,
        )
        for i, c in enumerate(parsed.claims)
    )
    Vote.objects.bulk_create(
        Vote(
            year=year,
            unit=unit_of[v["unit"]],
            kind=v["kind"],
            satisfied=v["satisfied"],
            basically=v["basically"],
            dissatisfied=v["dissatisfied"],
        )
        for v in parsed.votes
    )
    Comprehensive.objects.bulk_create(
        Comprehensive(year=year, unit=unit_of[c["unit"]], score=c["score"], advanced=c["advanced"])
        for c in parsed.comprehensive
    )
    FullMarksException.objects.bulk_create(
        FullMarksException(
            year=year, category=category_of[e["category"]], reason=e["reason"], recorded_by=actor
        )
        for e in parsed.exceptions
    )
    counts = {
        "units": len(parsed.units),
        "categories": len(parsed.categories),
        "indicators": len(parsed.indicators),
        "reports": len(parsed.reports),
        "scores": len(parsed.scores),
        "adjustments": len(parsed.adjustments),
        "fraud_findings": len(parsed.fraud),
        "bonus_claims": len(parsed.claims),
        "votes": len(parsed.votes),
        "comprehensive": len(parsed.comprehensive),
        "full_marks_exceptions": len(parsed.exceptions),
    }
    audit_record(
        event_type="appraisal.year_imported",
        actor=actor,
        job="" if actor else "import_year",
        subject=year,
        sub_district=sub_district,
        after={"year": parsed.year, "replaced": replaced, **counts},
    )
    return counts


# ---------------------------------------------------------------- export


def export_settings(year: AssessmentYear) -> dict:
    """The year's scoring settings as the bundle writes them (also printed on the results page)."""
    return {
        "performance_weight": dec(year.performance_weight),
        "satisfaction_weight": dec(year.satisfaction_weight),
        "full_marks_ratio": dec(year.full_marks_ratio),
        "bonus_cap": dec(year.bonus_cap),
        "bonus_points": {k: dec(getattr(year, f)) for k, f in LEVEL_FIELDS.items()},
        "vote_values": {k: dec(getattr(year, f)) for k, f in VOTE_FIELDS.items()},
        "debriefing_weight": dec(year.debriefing_weight),
        "democratic_weight": dec(year.democratic_weight),
        "rank_bonus": [dec(Decimal(v)) for v in year.rank_bonus],
        "bottom_penalty": [dec(Decimal(v)) for v in year.bottom_penalty],
        "grade_bands": [
            {"grade": b["grade"], "min": dec(Decimal(b["min"]))} for b in year.grade_bands
        ],
    }


def export_bundle(year: AssessmentYear) -> dict:
    """The year's inputs in the bundle format (importing it back gives the same results)."""
    units = list(AssessedUnit.objects.filter(year=year).order_by("code"))
    code_of = {u.unit_id: u.code for u in units}
    categories = list(Category.objects.filter(year=year).order_by("sort_order", "code"))
    cat_code = {c.pk: c.code for c in categories}
    indicators = list(Indicator.objects.filter(year=year).order_by("code"))
    ind_code = {i.pk: i.code for i in indicators}

    def unit_rows(queryset, *fields):
        for row in queryset.values_list("unit_id", *fields):
            if row[0] in code_of:
                yield (code_of[row[0]], *row[1:])

    reports = sorted(
        unit_rows(
            Report.objects.filter(year=year), "indicator_id", "period", "due_at", "submitted_at"
        ),
        key=lambda r: (r[0], ind_code[r[1]], r[2]),
    )
    scores = sorted(
        unit_rows(
            Score.objects.filter(year=year), "indicator_id", "department_score", "verified_score"
        ),
        key=lambda r: (r[0], ind_code[r[1]]),
    )
    return {
        "format": FORMAT,
        "year": year.year,
        "as_of": iso(year.as_of),
        "settings": export_settings(year),
        "units": [{"code": u.code, "name": u.name} for u in units],
        "categories": [
            {
                "code": c.code,
                "name": c.name,
                "department": c.department,
                "max_points": dec(c.max_points),
            }
            for c in categories
        ],
        "indicators": [
            {
                "code": i.code,
                "category": cat_code[i.category_id],
                "name": i.name,
                "max_points": dec(i.max_points),
                "required_reports": i.required_reports,
            }
            for i in indicators
        ],
        "reports": [
            {
                "unit": u,
                "indicator": ind_code[i],
                "period": p,
                "due_at": iso(due),
                "submitted_at": iso(sub),
            }
            for u, i, p, due, sub in reports
        ],
        "scores": [
            {
                "unit": u,
                "indicator": ind_code[i],
                "department_score": dec(d),
                "verified_score": dec(v),
            }
            for u, i, d, v in scores
        ],
        "adjustments": [
            {
                "unit": u,
                "category": cat_code[c],
                "points": dec(p),
                "reason": r,
                "source": s,
                "date": d.isoformat(),
            }
            for u, c, p, r, s, d in unit_rows(
                Adjustment.objects.filter(year=year).order_by("date", "id"),
                "category_id",
                "points",
                "reason",
                "source",
                "date",
            )
        ],
        "fraud_findings": [
            {"unit": u, "category": cat_code[c], "reason": r}
            for u, c, r in unit_rows(
                FraudFinding.objects.filter(year=year, state=FraudState.UPHELD).order_by("id"),
                "category_id",
                "reason",
            )
        ],
        "bonus_claims": [
            {
                "unit": u,
                "level": lv,
                "title": t,
                "declared_at": iso(da),
                "declare_by": iso(db),
                "status": st,
                "publicity_ends_at": iso(pe),
            }
            for u, lv, t, da, db, st, pe in unit_rows(
                BonusClaim.objects.filter(year=year).order_by("sort_order", "id"),
                "level",
                "title",
                "declared_at",
                "declare_by",
                "status",
                "publicity_ends_at",
            )
        ],
        "votes": [
            {"unit": u, "kind": k, "satisfied": s, "basically": b, "dissatisfied": d}
            for u, k, s, b, d in sorted(
                unit_rows(
                    Vote.objects.filter(year=year), "kind", "satisfied", "basically", "dissatisfied"
                )
            )
        ],
        "comprehensive": [
            {"unit": u, "score": dec(s), "advanced": a}
            for u, s, a in sorted(
                unit_rows(Comprehensive.objects.filter(year=year), "score", "advanced")
            )
        ],
        "full_marks_exceptions": [
            {"category": c, "reason": r}
            for c, r in FullMarksException.objects.filter(year=year)
            .order_by("category__code")
            .values_list("category__code", "reason")
        ],
    }
