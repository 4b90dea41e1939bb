"""The ranges of the year's settings (scoring.md): one check that every write path calls — the
settings form, the settings service (and so any later API) and the year-bundle import.

Pure: `check_settings(values, year=…)` takes the settings by their model names and returns the
problems, each naming its field (and the list index for the three lists). Messages are English
msgids with `%(name)s` parameters; the caller translates them (gettext, or the bundle's lazy
message), so this module needs no Django.

The ranges, and why:
- weights (performance/satisfaction, debriefing/democratic) lie in [0, 1] and each pair adds up to
  exactly 1 (scoring.md §4, §5);
- the full-marks ratio lies in (0, 1] (Art. 4: a share of the assessed units; 0 would forbid every
  full mark, above 1 would cap nothing);
- every setting in points — the bonus cap, the points of each bonus level (scoring.md §3), the
  values of the three vote options (§4), the additions for the top ranks and deductions for the
  bottom positions (§6) and the grade-band minima (§6) — lies within the 100-point scale of the
  assessment, [0, 100]: the category maxima add up to 100 (Art. 4), the vote and comprehensive
  scores are on the same scale, and nothing added to or subtracted from a score may outweigh the
  whole scale (a rank addition of 1e26 made every results page fail);
- grade bands: at least one, each named, minima strictly falling (best first);
- at most 50 rank additions, 50 bottom deductions and 10 grade bands (more positions than any
  sub-district has communities);
- decimals carry at most 2 places, as the models store them (DecimalField(decimal_places=2));
- the bonus declaration deadline (if set) lies within the assessment year or its aftermath: from
  1 January of the year to 31 March of the next, Asia/Shanghai (Art. 6: honours of the year are
  declared for that year's assessment);
- the publicity period is 1 to 30 working days (Art. 6: 通报展示 before a claim counts).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

SCALE = Decimal(100)  # the 100-point scale of the assessment (Art. 4)
MAX_LIST = 50
MAX_BANDS = 10
MAX_GRADE_LENGTH = 20
PUBLICITY_DAYS = (1, 30)

WEIGHT_PAIRS = (
    ("performance_weight", "satisfaction_weight"),
    ("debriefing_weight", "democratic_weight"),
)
POINT_FIELDS = (
    "bonus_cap",
    "bonus_district",
    "bonus_city",
    "bonus_province",
    "bonus_national",
    "vote_satisfied",
    "vote_basically",
    "vote_dissatisfied",
)
LIST_FIELDS = ("rank_bonus", "bottom_penalty")


def _(msgid: str) -> str:
    """Marks a message for makemessages; the caller translates it."""
    return msgid


class Problem(NamedTuple):
    """One setting out of range: the field (a model name of services.year.SETTING_FIELDS), the index
    in a list setting (None for a scalar), the message (an msgid) and its parameters."""

    field: str
    index: int | None
    message: str
    params: dict[str, Any]


def _decimal(value: Any) -> Decimal | None:
    """The value as a finite Decimal with at most 2 places, or None."""
    if isinstance(value, bool):
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        return None
    if not number.is_finite() or number.as_tuple().exponent < -2:
        return None
    return number


NOT_A_DECIMAL = _("“%(value)s” is not a number with at most 2 decimal places.")
OUTSIDE = _("%(value)s is outside %(low)s to %(high)s.")


def _point(problems, field, value, index=None, *, low=Decimal(0), high=SCALE) -> Decimal | None:
    number = _decimal(value)
    if number is None:
        problems.append(Problem(field, index, NOT_A_DECIMAL, {"value": str(value)[:40]}))
        return None
    if not low <= number <= high:
        problems.append(Problem(field, index, OUTSIDE, {"value": number, "low": low, "high": high}))
        return None
    return number


def declaration_window(year: int) -> tuple[dt.datetime, dt.datetime]:
    """The instants a bonus declaration deadline may fall between (Asia/Shanghai, inclusive)."""
    return (
        dt.datetime(year, 1, 1, tzinfo=SHANGHAI),
        dt.datetime(year + 1, 3, 31, 23, 59, 59, 999999, tzinfo=SHANGHAI),
    )


def check_settings(values: Mapping[str, Any], *, year: int | None = None) -> list[Problem]:
    """Every problem of the settings `values` (model names; absent keys are not checked, but a
    weight pair is checked only when both are given). `year` is the assessment year, needed to
    check the declaration deadline."""
    problems: list[Problem] = []
    weights: dict[str, Decimal | None] = {}
    for pair in WEIGHT_PAIRS:
        for field in pair:
            if field in values:
                weights[field] = _point(problems, field, values[field], high=Decimal(1))
    if "performance_weight" in weights and "satisfaction_weight" in weights:
        a, b = weights["performance_weight"], weights["satisfaction_weight"]
        if a is not None and b is not None and a + b != 1:
            problems.append(
                Problem(
                    "satisfaction_weight",
                    None,
                    _("The performance and satisfaction weights must add up to 1."),
                    {},
                )
            )
    if "debriefing_weight" in weights and "democratic_weight" in weights:
        a, b = weights["debriefing_weight"], weights["democratic_weight"]
        if a is not None and b is not None and a + b != 1:
            problems.append(
                Problem("democratic_weight", None, _("The two vote weights must add up to 1."), {})
            )

    if "full_marks_ratio" in values:
        ratio = _decimal(values["full_marks_ratio"])
        if ratio is None:
            problems.append(
                Problem(
                    "full_marks_ratio",
                    None,
                    NOT_A_DECIMAL,
                    {"value": str(values["full_marks_ratio"])[:40]},
                )
            )
        elif not 0 < ratio <= 1:
            problems.append(
                Problem(
                    "full_marks_ratio",
                    None,
                    _("%(value)s: the full-marks ratio must be above 0 and at most 1 (Art. 4)."),
                    {"value": ratio},
                )
            )

    for field in POINT_FIELDS:
        if field in values:
            _point(problems, field, values[field])

    for field in LIST_FIELDS:
        if field not in values:
            continue
        items = values[field]
        if not isinstance(items, list | tuple):
            problems.append(Problem(field, None, _("Must be a list of points."), {}))
            continue
        if len(items) > MAX_LIST:
            problems.append(Problem(field, None, _("At most %(n)s entries."), {"n": MAX_LIST}))
            continue
        for index, item in enumerate(items):
            _point(problems, field, item, index)

    if "grade_bands" in values:
        _check_bands(problems, values["grade_bands"])

    if "claim_declare_by" in values and values["claim_declare_by"] is not None:
        deadline = values["claim_declare_by"]
        if not isinstance(deadline, dt.datetime) or deadline.tzinfo is None:
            problems.append(
                Problem("claim_declare_by", None, _("Give the deadline as a date and time."), {})
            )
        elif year is not None:
            first, last = declaration_window(year)
            if not first <= deadline <= last:
                problems.append(
                    Problem(
                        "claim_declare_by",
                        None,
                        _(
                            "The declaration deadline must lie between %(first)s and %(last)s "
                            "(the assessment year or the first quarter after it)."
                        ),
                        {"first": first.date().isoformat(), "last": last.date().isoformat()},
                    )
                )

    if "publicity_working_days" in values:
        days = values["publicity_working_days"]
        low, high = PUBLICITY_DAYS
        if isinstance(days, bool) or not isinstance(days, int) or not low <= days <= high:
            problems.append(
                Problem(
                    "publicity_working_days",
                    None,
                    _("The publicity period must be %(low)s to %(high)s working days."),
                    {"low": low, "high": high},
                )
            )
    return problems


def _check_bands(problems: list[Problem], bands: Any) -> None:
    field = "grade_bands"
    if not isinstance(bands, list | tuple) or not bands:
        problems.append(Problem(field, None, _("At least one band is needed."), {}))
        return
    if len(bands) > MAX_BANDS:
        problems.append(Problem(field, None, _("At most %(n)s entries."), {"n": MAX_BANDS}))
        return
    previous = None
    for index, band in enumerate(bands):
        if not isinstance(band, Mapping) or set(band) != {"grade", "min"}:
            problems.append(Problem(field, index, _("Write each band as grade:minimum."), {}))
            continue
        grade = band["grade"]
        if not isinstance(grade, str) or not grade.strip() or len(grade) > MAX_GRADE_LENGTH:
            problems.append(
                Problem(
                    field,
                    index,
                    _("A grade needs a name of at most %(n)s characters."),
                    {"n": MAX_GRADE_LENGTH},
                )
            )
        minimum = _point(problems, field, band["min"], index)
        if minimum is None:
            continue
        if previous is not None and minimum >= previous:
            problems.append(
                Problem(field, index, _("List the bands best first, with falling minima."), {})
            )
        previous = minimum
