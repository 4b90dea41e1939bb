"""The rules of the indicator catalogue (Art. 4, 5, 7): one check each, called by the catalogue
services, the catalogue workbook and the year bundle alike. Pure: plain values in, a verdict
out; each caller words the verdict for its place (a form field, a sheet's row and column, a
bundle path), so that the rule itself exists once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

SCALE = Decimal(100)  # Art. 4: the categories share the 100-point scale

# The due date of a one-off report (Art. 7): problems `due_date_problem` names.
DUE_DATE_MISSING = "missing"  # a one-off report without its date
DUE_DATE_OUTSIDE = "outside"  # a date outside the assessment year
DUE_DATE_NOT_ONCE = "not_once"  # a date on a periodic schedule (those end with their period)
ONCE = "once"  # models.Schedule.ONCE


def maxima_total(maxima: Iterable[Decimal]) -> Decimal | None:
    """Art. 4: the category maxima add up to exactly 100. Their total when they do not, else
    None."""
    total = sum(maxima, Decimal(0))
    return None if total == SCALE else total


def over_category(points: Decimal, category_max: Decimal) -> bool:
    """Art. 5: an indicator, or a category's indicators together, within the category's
    maximum."""
    return points > category_max


def due_date_problem(schedule: str, due_date: dt.date | None, year: int) -> str | None:
    """Art. 7: only a one-off report has its own due date, within the assessment year; the
    periodic ones are due at the end of their month, quarter or year."""
    if schedule == ONCE:
        if due_date is None:
            return DUE_DATE_MISSING
        if due_date.year != year:
            return DUE_DATE_OUTSIDE
        return None
    if due_date is not None:
        return DUE_DATE_NOT_ONCE
    return None
