"""Reading a year bundle (../shared/spec/year-bundle.md): `parse` checks a whole bundle before
anything is written and names the offending path of the first problem
(`scores[17].department_score: 6.00 exceeds max_points 5.00`); what it returns is typed (Parsed),
ready for the import service."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ...domain import catalogue as catalogue_rules
from ...domain import settings as settings_rules
from ...domain.model import MAX_BALLOTS
from ...models import AssessmentYear, VoteKind
from ...results.document import dec
from ...services.bundle_input import Parsed
from .fields import (
    CLAIM_STATUSES,
    CODE_RE,
    FORMAT,
    LEVEL_FIELDS,
    SCALAR_SETTINGS,
    SETTING_KEYS,
    TOP_KEYS,
    VOTE_FIELDS,
    BundleError,
    _,
    _date,
    _dec,
    _int,
    _list,
    _obj,
    _range,
    _ref,
    _show,
    _str,
    _time,
)


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
        # Their number and order (best first) are checked with every other setting below.
        bands = _list(raw["grade_bands"], "settings.grade_bands")
        parsed = []
        for i, band in enumerate(bands):
            path = f"settings.grade_bands[{i}]"
            band = _obj(band, path, {"grade", "min"})
            grade = _str(band["grade"], f"{path}.grade", max_length=20)
            minimum = _dec(band["min"], f"{path}.min")
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
        total = catalogue_rules.maxima_total(c["max_points"] for c in categories.values())
        if total is not None:
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
