"""The year bundle's vocabulary (../shared/spec/year-bundle.md): its keys, the error naming a
path, and the checks of one field each (`_dec`, `_int`, `_str`, `_time`, …)."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils.dateparse import parse_date, parse_datetime

from ...models import ClaimState
from ...services.bundle_input import BundleError, _

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
        # The one NUL policy and message of typed text (core.validation.NUL_MESSAGE).
        raise BundleError(
            path, _("%(field)s contains a NUL character.") % {"field": _("the value")}
        )
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
