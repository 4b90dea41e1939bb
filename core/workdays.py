"""Working-day calendar (工作日): statutory holidays and make-up working days (调休).

Sources, in order of precedence:
1. office-entered `CalendarDay` overrides (any year; the only source after the package's last year);
2. the `chinese-calendar` package (2004–2026 in 1.11.0);
3. nothing else: a date in a year that neither covers raises `CalendarYearUnknown`, so a deadline
   is never guessed silently. A year counts as covered by the office once its `CalendarYear` row is
   marked complete.

Deadlines counted in working days end at 23:59:59 Asia/Shanghai of the last day.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
from chinese_calendar import constants as cc_constants
from django.utils.translation import gettext as _

from .models import CalendarDay, CalendarYear, DayKind

SHANGHAI = ZoneInfo("Asia/Shanghai")
END_OF_DAY = time(23, 59, 59)

PACKAGE_FIRST_YEAR = min(d.year for d in cc_constants.holidays)
PACKAGE_LAST_YEAR = max(d.year for d in cc_constants.holidays)

# A deadline of more than this many working days is refused: it is a typo, not a deadline.
MAX_WORKDAYS = 400


class CalendarYearUnknown(ValueError):
    """The holidays of a year are not known: enter them on the calendar page first."""

    def __init__(self, year: int):
        self.year = year
        super().__init__(
            _(
                "The working-day calendar has no holiday data for %(year)s: an installation "
                "administrator must enter that year's holidays and make-up working days before "
                "deadlines can be counted in it."
            )
            % {"year": year}
        )


@dataclass(frozen=True)
class YearCoverage:
    year: int
    source: str  # "package", "office", "" (unknown)
    override_count: int

    @property
    def known(self) -> bool:
        return bool(self.source)


class WorkdayCalendar:
    """Answers working-day questions for a date range, with one query for the overrides."""

    def __init__(self, overrides: dict[date, str], office_years: set[int]):
        self._overrides = overrides
        self._office_years = office_years

    @classmethod
    def load(cls, start: date, end: date) -> WorkdayCalendar:
        overrides = dict(
            CalendarDay.objects.filter(date__range=(start, end)).values_list("date", "kind")
        )
        years = set(
            CalendarYear.objects.filter(
                year__range=(start.year, end.year), complete=True
            ).values_list("year", flat=True)
        )
        return cls(overrides, years)

    def year_known(self, year: int) -> bool:
        return PACKAGE_FIRST_YEAR <= year <= PACKAGE_LAST_YEAR or year in self._office_years

    def is_workday(self, day: date) -> bool:
        kind = self._overrides.get(day)
        if kind is not None:
            return kind == DayKind.WORKDAY
        if PACKAGE_FIRST_YEAR <= day.year <= PACKAGE_LAST_YEAR:
            return chinese_calendar.is_workday(day)
        if day.year in self._office_years:
            # The office has entered every holiday and make-up day of the year: the rest of the
            # days follow the week.
            return day.weekday() < 5
        raise CalendarYearUnknown(day.year)


def _window(start: date, workdays: int) -> date:
    # Generous upper bound of the calendar span N working days can take (long holidays included).
    return start + timedelta(days=workdays * 2 + 30)


def is_workday(day: date) -> bool:
    return WorkdayCalendar.load(day, day).is_workday(day)


def add_workdays(start: date, workdays: int) -> date:
    """The date that is `workdays` working days after `start` (start itself not counted).

    add_workdays(d, 0) is d itself if d is a working day, else the next working day.
    """
    if workdays < 0:
        raise ValueError(_("The number of working days cannot be negative."))
    if workdays > MAX_WORKDAYS:
        raise ValueError(_("At most %(max)s working days can be counted.") % {"max": MAX_WORKDAYS})
    cal = WorkdayCalendar.load(start, _window(start, workdays))
    day = start
    if workdays == 0:
        while not cal.is_workday(day):
            day += timedelta(days=1)
        return day
    counted = 0
    while counted < workdays:
        day += timedelta(days=1)
        if cal.is_workday(day):
            counted += 1
    return day


def add_workdays_or_weekdays(start: date, workdays: int) -> tuple[date, bool]:
    """add_workdays, except where the calendar lacks a year: then the same number of weekdays
    (Monday to Friday) is counted. For a reminder or a traffic light an approximate day is better
    than none; a deadline is never counted this way. Returns (day, approximate)."""
    try:
        return add_workdays(start, workdays), False
    except CalendarYearUnknown:
        day, counted = start, 0
        while counted < workdays:
            day += timedelta(days=1)
            counted += day.weekday() < 5
        return day, True


def workdays_between(start: date, end: date) -> int:
    """Working days in the half-open interval (start, end]; negative when end is before start."""
    if end < start:
        return -workdays_between(end, start)
    cal = WorkdayCalendar.load(start, end)
    count = 0
    day = start + timedelta(days=1)
    while day <= end:
        if cal.is_workday(day):
            count += 1
        day += timedelta(days=1)
    return count


def end_of_day(day: date) -> datetime:
    """23:59:59 Asia/Shanghai on the given date: when a deadline on that day falls."""
    return datetime.combine(day, END_OF_DAY, tzinfo=SHANGHAI)


def start_of_day(day: date) -> datetime:
    """00:00 Asia/Shanghai on the given date: when a period that begins that day opens."""
    return datetime.combine(day, time.min, tzinfo=SHANGHAI)


def local_date(moment: datetime) -> date:
    """The Asia/Shanghai date of an aware moment (a naive one is a programming error)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("local_date() needs an aware datetime")
    return moment.astimezone(SHANGHAI).date()


def deadline_after_workdays(issued_at: datetime, workdays: int) -> datetime:
    """The end-of-day deadline N working days after the (local) day of issue."""
    return end_of_day(add_workdays(local_date(issued_at), workdays))


def coverage(years: Iterable[int]) -> list[YearCoverage]:
    """What the calendar knows of each year, for the Office's warning and the calendar page."""
    years = sorted(set(years))
    if not years:
        return []
    office = set(
        CalendarYear.objects.filter(year__in=years, complete=True).values_list("year", flat=True)
    )
    counts: dict[int, int] = {}
    for day in CalendarDay.objects.filter(
        date__gte=date(years[0], 1, 1), date__lte=date(years[-1], 12, 31)
    ).values_list("date", flat=True):
        counts[day.year] = counts.get(day.year, 0) + 1
    result = []
    for year in years:
        if year in office:
            source = "office"
        elif PACKAGE_FIRST_YEAR <= year <= PACKAGE_LAST_YEAR:
            source = "package"
        else:
            source = ""
        result.append(YearCoverage(year, source, counts.get(year, 0)))
    return result


def missing_years(today: date) -> list[int]:
    """The current and next year, where the calendar has no data (the Office home page warns)."""
    return [c.year for c in coverage([today.year, today.year + 1]) if not c.known]
