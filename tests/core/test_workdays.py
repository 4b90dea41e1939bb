"""Working-day arithmetic against the State Council's holiday arrangements (国务院办公厅通知).

Expected dates below are worked out by hand from the official notices:
- 2025 春节: 1月28日至2月4日放假调休，共8天；1月26日（周日）、2月8日（周六）上班。
- 2025 国庆节、中秋节: 10月1日至8日放假调休，共8天；9月28日（周日）、10月11日（周六）上班。
- 2026 春节: 2月15日（周日）至23日（周一）放假调休，共9天；2月14日（周六）、2月28日（周六）上班。
- 2026 中秋节: 9月25日至27日放假；国庆节: 10月1日至7日放假调休，共7天；
  9月20日（周日）、10月10日（周六）上班。
"""

from datetime import UTC, date, datetime, timedelta

import pytest
from chinese_calendar import constants as cc_constants

from core import workdays
from core.models import CalendarDay, CalendarYear, DayKind
from core.workdays import (
    CalendarYearUnknown,
    add_workdays,
    coverage,
    deadline_after_workdays,
    end_of_day,
    is_workday,
    missing_years,
    workdays_between,
)

pytestmark = pytest.mark.django_db

SHANGHAI_OFFSET = timedelta(hours=8)


def days(start: date, end: date) -> list[date]:
    """Every date from start to end, both included."""
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


# --- The package's data matches the official notices ----------------------------------------------


@pytest.mark.parametrize(
    ("first", "last", "makeup"),
    [
        (date(2025, 1, 28), date(2025, 2, 4), [date(2025, 1, 26), date(2025, 2, 8)]),
        (date(2025, 10, 1), date(2025, 10, 8), [date(2025, 9, 28), date(2025, 10, 11)]),
        (date(2026, 2, 15), date(2026, 2, 23), [date(2026, 2, 14), date(2026, 2, 28)]),
        (date(2026, 10, 1), date(2026, 10, 7), [date(2026, 9, 20), date(2026, 10, 10)]),
    ],
    ids=["2025-spring", "2025-national", "2026-spring", "2026-national"],
)
def test_package_data_matches_the_official_arrangement(first, last, makeup):
    # given the official holiday span and make-up working days of a period
    # when the built-in package data is read
    holidays = cc_constants.holidays
    package_workdays = cc_constants.workdays
    # then every day of the span is a holiday there and the make-up days are working days
    assert all(day in holidays for day in days(first, last))
    assert first - timedelta(days=1) not in holidays
    assert last + timedelta(days=1) not in holidays
    assert all(day in package_workdays for day in makeup)


# --- is_workday -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "last"),
    [
        (date(2025, 1, 28), date(2025, 2, 4)),
        (date(2025, 10, 1), date(2025, 10, 8)),
        (date(2026, 2, 15), date(2026, 2, 23)),
        (date(2026, 9, 25), date(2026, 9, 27)),
        (date(2026, 10, 1), date(2026, 10, 7)),
    ],
    ids=["2025-spring", "2025-national", "2026-spring", "2026-mid-autumn", "2026-national"],
)
def test_every_day_of_a_statutory_holiday_is_not_a_workday(first, last):
    # given a holiday span of the official arrangement (weekdays included)
    span = days(first, last)
    # when each day is asked about
    answers = [is_workday(day) for day in span]
    # then none of them is a working day
    assert answers == [False] * len(span)


@pytest.mark.parametrize(
    "day",
    [
        date(2025, 1, 26),  # Sunday
        date(2025, 2, 8),  # Saturday
        date(2025, 9, 28),  # Sunday
        date(2025, 10, 11),  # Saturday
        date(2026, 2, 14),  # Saturday
        date(2026, 2, 28),  # Saturday
        date(2026, 9, 20),  # Sunday
        date(2026, 10, 10),  # Saturday
    ],
)
def test_make_up_weekend_days_are_workdays(day):
    # given a weekend day the State Council turned into a working day
    assert day.weekday() >= 5
    # when it is asked about
    # then it is a working day
    assert is_workday(day) is True


def test_ordinary_weekdays_and_weekends_follow_the_week():
    # given an ordinary week without holidays (2025-03-10 Monday … 2025-03-16 Sunday)
    week = days(date(2025, 3, 10), date(2025, 3, 16))
    # when each day is asked about
    answers = [is_workday(day) for day in week]
    # then Monday to Friday work and the weekend does not
    assert answers == [True, True, True, True, True, False, False]


# --- add_workdays across real holiday periods -----------------------------------------------------


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        # 2025 春节: last working day before is Mon 01-27; then 02-05, 06, 07, Sat 08, Mon 10
        (date(2025, 1, 27), 5, date(2025, 2, 10)),
        (date(2025, 1, 27), 1, date(2025, 2, 5)),
        # Friday 01-24: the next working day is the make-up Sunday 01-26
        (date(2025, 1, 24), 1, date(2025, 1, 26)),
        (date(2025, 2, 7), 1, date(2025, 2, 8)),
        # 2025 国庆: last working day before is Tue 09-30; then 10-09, 10, Sat 11, Mon 13, Tue 14
        (date(2025, 9, 30), 5, date(2025, 10, 14)),
        (date(2025, 9, 26), 1, date(2025, 9, 28)),
        # 2026 春节: last working day before is the make-up Sat 02-14; then 02-24 … 27, Sat 28
        (date(2026, 2, 14), 5, date(2026, 2, 28)),
        (date(2026, 2, 13), 1, date(2026, 2, 14)),
        (date(2026, 2, 14), 6, date(2026, 3, 2)),
        # 2026 国庆: last working day before is Wed 09-30; then 10-08, 09, Sat 10, Mon 12, Tue 13
        (date(2026, 9, 30), 5, date(2026, 10, 13)),
        # Thu 09-24 before 中秋: 09-28 (Mon) is next, 09-30 the third, 10-08 the fourth
        (date(2026, 9, 24), 4, date(2026, 10, 8)),
        (date(2026, 9, 18), 1, date(2026, 9, 20)),
    ],
)
def test_add_workdays_skips_holidays_and_counts_make_up_days(start, n, expected):
    # given a start date around an official holiday period
    # when n working days are added
    result = add_workdays(start, n)
    # then the result is the date worked out from the State Council arrangement
    assert result == expected


def test_add_workdays_refuses_negative_counts():
    # given a negative number of working days
    # when it is added
    # then it is refused rather than counted backwards silently
    with pytest.raises(ValueError):
        add_workdays(date(2025, 2, 10), -1)
    with pytest.raises(ValueError):
        add_workdays(date(2025, 2, 10), -5)


def test_add_workdays_refuses_an_absurdly_large_count():
    # given a number of working days larger than any deadline (a typo)
    # when it is added
    # then it is refused
    with pytest.raises(ValueError):
        add_workdays(date(2025, 3, 3), workdays.MAX_WORKDAYS + 1)
    with pytest.raises(ValueError):
        add_workdays(date(2025, 3, 3), 100_000)


def test_add_zero_workdays_on_a_workday_is_the_same_day():
    # given working days: an ordinary Wednesday and the make-up Saturday of 2025 春节
    # when zero working days are added
    # then the day itself is returned
    assert add_workdays(date(2025, 3, 5), 0) == date(2025, 3, 5)
    assert add_workdays(date(2025, 2, 8), 0) == date(2025, 2, 8)
    assert add_workdays(date(2026, 9, 20), 0) == date(2026, 9, 20)


def test_add_zero_workdays_on_a_holiday_is_the_next_workday():
    # given days off: the first day of 2025 春节, a plain Sunday, and the 2026 国庆 first day
    # when zero working days are added
    # then the next working day is returned
    assert add_workdays(date(2025, 1, 28), 0) == date(2025, 2, 5)
    assert add_workdays(date(2025, 3, 9), 0) == date(2025, 3, 10)
    assert add_workdays(date(2026, 10, 1), 0) == date(2026, 10, 8)


def test_add_workdays_from_inside_a_holiday_counts_from_its_end():
    # given a start in the middle of 2025 国庆 (Sat 10-04)
    # when 3 working days are added
    result = add_workdays(date(2025, 10, 4), 3)
    # then they are 10-09, 10-10 and the make-up Saturday 10-11
    assert result == date(2025, 10, 11)


# --- workdays_between -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # (01-24, 02-10]: 01-26, 01-27, 02-05, 02-06, 02-07, 02-08, 02-10
        (date(2025, 1, 24), date(2025, 2, 10), 7),
        # (09-26, 10-14]: 09-28, 09-29, 09-30, 10-09, 10-10, 10-11, 10-13, 10-14
        (date(2025, 9, 26), date(2025, 10, 14), 8),
        # (02-13, 03-02]: 02-14, 02-24, 02-25, 02-26, 02-27, 02-28, 03-02
        (date(2026, 2, 13), date(2026, 3, 2), 7),
        # (09-18, 10-12]: 09-20 … 09-24 (5), 09-28 … 09-30 (3), 10-08, 10-09, 10-10, 10-12 (4)
        (date(2026, 9, 18), date(2026, 10, 12), 12),
        # the whole 2025 春节 span has no working day in it
        (date(2025, 1, 27), date(2025, 2, 4), 0),
        (date(2025, 3, 5), date(2025, 3, 5), 0),
    ],
)
def test_workdays_between_counts_working_days_after_start_up_to_end(start, end, expected):
    # given two dates around an official holiday period
    # when the working days between them are counted
    result = workdays_between(start, end)
    # then the count matches the arrangement
    assert result == expected


def test_workdays_between_is_negative_when_end_is_before_start():
    # given the 2025 国庆 period counted backwards
    # when the working days between are counted
    result = workdays_between(date(2025, 10, 14), date(2025, 9, 26))
    # then it is the same count, negative
    assert result == -8


def test_workdays_between_agrees_with_add_workdays():
    # given a start before 2026 春节
    start = date(2026, 2, 10)
    for n in range(15):
        # when n working days are added
        end = add_workdays(start, n)
        # then exactly n working days lie between the start and the result
        assert workdays_between(start, end) == n


# --- Deadlines: end of day in Asia/Shanghai -------------------------------------------------------


def test_end_of_day_is_an_aware_2359_59_in_shanghai():
    # given a date
    # when its end is asked for
    result = end_of_day(date(2025, 2, 10))
    # then it is 23:59:59 on that date at UTC+8, i.e. 15:59:59 UTC
    assert result.tzinfo is not None
    assert result.utcoffset() == SHANGHAI_OFFSET
    assert (result.year, result.month, result.day) == (2025, 2, 10)
    assert (result.hour, result.minute, result.second) == (23, 59, 59)
    assert result.astimezone(UTC) == datetime(2025, 2, 10, 15, 59, 59, tzinfo=UTC)


def test_deadline_after_workdays_ends_at_shanghai_midnight_of_the_last_day():
    # given a notice issued the afternoon before 2025 春节 (Mon 01-27, 15:00 Shanghai)
    issued = datetime(2025, 1, 27, 7, 0, tzinfo=UTC)
    # when a 5-working-day deadline is set
    deadline = deadline_after_workdays(issued, 5)
    # then it ends at 23:59:59 Shanghai on Mon 2025-02-10
    assert deadline.utcoffset() == SHANGHAI_OFFSET
    assert deadline.astimezone(UTC) == datetime(2025, 2, 10, 15, 59, 59, tzinfo=UTC)


def test_deadline_counts_from_the_shanghai_date_when_utc_is_still_the_previous_day():
    # given a notice issued Thu 2025-02-06 17:30 UTC, which is already Fri 02-07 01:30 in Shanghai
    issued = datetime(2025, 2, 6, 17, 30, tzinfo=UTC)
    # when a 1-working-day deadline is set
    deadline = deadline_after_workdays(issued, 1)
    # then it counts from Friday 02-07: the next working day is the make-up Saturday 02-08
    # (counting from the UTC date would have given Friday 02-07)
    assert deadline.astimezone(UTC) == datetime(2025, 2, 8, 15, 59, 59, tzinfo=UTC)
    assert deadline.utcoffset() == SHANGHAI_OFFSET


def test_deadline_issued_during_a_holiday_counts_from_the_first_workday_after():
    # given a notice issued on 2026 国庆 (10-01 10:00 Shanghai)
    issued = datetime(2026, 10, 1, 2, 0, tzinfo=UTC)
    # when a 2-working-day deadline is set
    deadline = deadline_after_workdays(issued, 2)
    # then the working days are 10-08 and 10-09
    assert deadline.astimezone(UTC) == datetime(2026, 10, 9, 15, 59, 59, tzinfo=UTC)


# --- Years the package does not know --------------------------------------------------------------


def test_a_day_in_2027_is_unknown_without_office_data():
    # given no office data for 2027
    # when a 2027 day is asked about
    # then the calendar says it does not know 2027
    with pytest.raises(CalendarYearUnknown) as excinfo:
        is_workday(date(2027, 3, 10))
    assert excinfo.value.year == 2027
    assert "2027" in str(excinfo.value)


def test_adding_workdays_into_2027_refuses_instead_of_guessing():
    # given no office data for 2027 and a start in the last days of 2026
    # when a deadline would reach into 2027 (Thu 12-31 + 2: 2027 needed)
    # then it is refused and the message names 2027
    with pytest.raises(CalendarYearUnknown, match="2027"):
        add_workdays(date(2026, 12, 30), 2)
    with pytest.raises(CalendarYearUnknown, match="2027"):
        workdays_between(date(2026, 12, 30), date(2027, 1, 8))
    with pytest.raises(CalendarYearUnknown, match="2027"):
        deadline_after_workdays(datetime(2026, 12, 31, 3, 0, tzinfo=UTC), 1)


def test_adding_workdays_that_stay_in_2026_works_although_2027_is_unknown():
    # given no office data for 2027
    # when a deadline ends before the year does (Mon 12-28 + 3)
    result = add_workdays(date(2026, 12, 28), 3)
    # then it is counted normally
    assert result == date(2026, 12, 31)


def test_the_approximate_count_follows_the_calendar_where_it_knows_the_year():
    # given 2026 known (the National Day holiday: 10-01 to 10-07, 10-10 a make-up Saturday)
    # when 3 working days are counted from Wed 09-30 for a light or a reminder
    day, approximate = workdays.add_workdays_or_weekdays(date(2026, 9, 30), 3)
    # then the holiday is skipped and the make-up Saturday counts: 10-08, 10-09, 10-10
    assert (day, approximate) == (date(2026, 10, 10), False)


def test_the_approximate_count_counts_weekdays_where_the_calendar_lacks_the_year():
    # given no office data for 2027
    # when 3 working days are counted from Wed 2026-12-30 (2027 needed)
    day, approximate = workdays.add_workdays_or_weekdays(date(2026, 12, 30), 3)
    # then Mon to Fri are counted (Thu 12-31, Fri 01-01, Mon 01-04) and the answer says so
    assert (day, approximate) == (date(2027, 1, 4), True)


def test_a_2027_year_marked_incomplete_is_still_unknown():
    # given the office has entered New Year's Day 2027 but not marked the year complete
    CalendarDay.objects.create(date=date(2027, 1, 1), kind=DayKind.HOLIDAY, name="元旦")
    CalendarYear.objects.create(year=2027, complete=False)
    # when days of 2027 without an entry are needed
    # then the calendar still refuses to guess
    with pytest.raises(CalendarYearUnknown, match="2027"):
        is_workday(date(2027, 1, 4))
    with pytest.raises(CalendarYearUnknown, match="2027"):
        add_workdays(date(2026, 12, 31), 1)


@pytest.fixture
def office_2027(db):
    """2027 entered by the office (illustrative entries) and marked complete."""
    CalendarDay.objects.create(date=date(2027, 1, 1), kind=DayKind.HOLIDAY, name="元旦")
    CalendarDay.objects.create(date=date(2027, 1, 9), kind=DayKind.WORKDAY, name="调休上班")
    CalendarYear.objects.create(year=2027, complete=True, source="国办发明电")


def test_office_entered_2027_honours_holidays_and_make_up_days(office_2027):
    # given 2027 entered by the office: Fri 01-01 off, Sat 01-09 a working day
    # when days of 2027 are asked about
    # then the entries are honoured and other days follow the week
    assert is_workday(date(2027, 1, 1)) is False
    assert is_workday(date(2027, 1, 9)) is True
    assert is_workday(date(2027, 3, 10)) is True  # Wednesday
    assert is_workday(date(2027, 3, 13)) is False  # Saturday
    assert is_workday(date(2027, 3, 14)) is False  # Sunday


def test_adding_workdays_into_office_entered_2027(office_2027):
    # given 2027 entered by the office
    # when working days are added from Thu 2026-12-31
    # then 01-01 (holiday) and the weekend are skipped, and the make-up Saturday counts:
    # 01-04 (1) … 01-08 (5), Sat 01-09 (6), Mon 01-11 (7)
    assert add_workdays(date(2026, 12, 31), 1) == date(2027, 1, 4)
    assert add_workdays(date(2026, 12, 31), 6) == date(2027, 1, 9)
    assert add_workdays(date(2026, 12, 31), 7) == date(2027, 1, 11)
    assert add_workdays(date(2027, 1, 1), 0) == date(2027, 1, 4)
    assert workdays_between(date(2026, 12, 31), date(2027, 1, 11)) == 7
    assert deadline_after_workdays(datetime(2026, 12, 31, 2, 0, tzinfo=UTC), 1) == end_of_day(
        date(2027, 1, 4)
    )


def test_office_entered_2027_does_not_make_2028_known(office_2027):
    # given 2027 entered by the office and nothing for 2028
    # when a deadline reaches from the end of 2027 into 2028
    # then it is refused and the message names 2028
    with pytest.raises(CalendarYearUnknown, match="2028"):
        add_workdays(date(2027, 12, 30), 5)


def test_office_overrides_take_precedence_over_the_package():
    # given the office turns the make-up Saturday 2025-02-08 into a day off
    # and Wed 2025-02-05 into an extra local holiday
    CalendarDay.objects.create(date=date(2025, 2, 8), kind=DayKind.HOLIDAY, note="local")
    CalendarDay.objects.create(date=date(2025, 2, 5), kind=DayKind.HOLIDAY, note="local")
    # and a package holiday (2025-10-08) into a working day
    CalendarDay.objects.create(date=date(2025, 10, 8), kind=DayKind.WORKDAY, note="local")
    # when those days are asked about and counted across
    # then the office entries win
    assert is_workday(date(2025, 2, 8)) is False
    assert is_workday(date(2025, 2, 5)) is False
    assert is_workday(date(2025, 10, 8)) is True
    # 01-27 + 5: 02-06, 02-07, 02-10, 02-11, 02-12
    assert add_workdays(date(2025, 1, 27), 5) == date(2025, 2, 12)
    # 09-30 + 1: the now working 10-08
    assert add_workdays(date(2025, 9, 30), 1) == date(2025, 10, 8)
    # (01-24, 02-10]: 01-26, 01-27, 02-06, 02-07, 02-10
    assert workdays_between(date(2025, 1, 24), date(2025, 2, 10)) == 5


# --- coverage and missing_years -------------------------------------------------------------------


def test_coverage_reports_package_years_and_the_missing_year():
    # given no office data at all
    # when coverage of 2025–2027 is asked for
    result = coverage([2027, 2025, 2026])
    # then 2025 and 2026 come from the package and 2027 is missing, in year order
    assert [(c.year, c.source, c.known) for c in result] == [
        (2025, "package", True),
        (2026, "package", True),
        (2027, "", False),
    ]


def test_coverage_reports_the_office_year_and_its_entries(office_2027):
    # given 2027 entered by the office with two days, and one override in 2026
    CalendarDay.objects.create(date=date(2026, 5, 6), kind=DayKind.HOLIDAY)
    # when coverage is asked for
    result = {c.year: c for c in coverage([2026, 2027])}
    # then 2027 is known from the office, and each year counts its entries
    assert result[2027].known is True
    assert result[2027].source == "office"
    assert result[2027].override_count == 2
    assert result[2026].source == "package"
    assert result[2026].override_count == 1


def test_missing_years_in_2026_is_2027_until_the_office_completes_it():
    # given today is in 2026 and no office data
    today = date(2026, 11, 27)
    # when the missing years are asked for
    # then 2027 (next year) is missing
    assert missing_years(today) == [2027]
    # and entering days without marking the year complete does not change that
    CalendarDay.objects.create(date=date(2027, 1, 1), kind=DayKind.HOLIDAY, name="元旦")
    CalendarYear.objects.create(year=2027, complete=False)
    assert missing_years(today) == [2027]
    # and once 2027 is marked complete nothing is missing
    CalendarYear.objects.filter(year=2027).update(complete=True)
    assert missing_years(today) == []


def test_missing_years_in_2025_is_empty():
    # given today is in 2025: this year and next are both in the package
    # when the missing years are asked for
    # then nothing is missing
    assert missing_years(date(2025, 6, 1)) == []


def test_missing_years_in_2027_lists_both_unknown_years():
    # given today is in 2027 and the office has entered nothing
    # when the missing years are asked for
    # then both 2027 and 2028 are missing
    assert missing_years(date(2027, 1, 2)) == [2027, 2028]


def test_local_date_refuses_a_naive_datetime():
    # A naive time would be read in the server's zone, not Asia/Shanghai: refuse it.
    with pytest.raises(ValueError):
        workdays.deadline_after_workdays(datetime(2026, 3, 2, 23, 30), 1)
