"""An edit of the calendar writes only the columns it changes (a row edited by two keepers at
once never gets back a column the other did not touch)."""

from __future__ import annotations

from datetime import date

import pytest

from core import services
from core.models import CalendarDay, CalendarYear, DayKind, User
from tests.sqlwrites import updated_columns

pytestmark = pytest.mark.django_db

DAY_COLUMNS = {"kind", "name", "note", "updated_by_id", "updated_at"}


@pytest.fixture
def root(db):
    return User.objects.create_superuser("root", password="x-Root-12345-y")


def test_changing_a_day_writes_only_what_an_edit_changes(root):
    services.calendar_day_set(acting_user=root, day=date(2027, 1, 1), kind=DayKind.HOLIDAY)
    with updated_columns(CalendarDay._meta.db_table) as updates:
        services.calendar_day_set(
            acting_user=root, day=date(2027, 1, 1), kind=DayKind.HOLIDAY, name="元旦"
        )
    assert updates == [DAY_COLUMNS]


def test_marking_a_year_writes_only_its_status(root):
    services.calendar_year_set(acting_user=root, year=2027, complete=False, source="a")
    with updated_columns(CalendarYear._meta.db_table) as updates:
        services.calendar_year_set(acting_user=root, year=2027, complete=True, source="b")
    assert updates == [{"complete", "source", "updated_by_id", "updated_at"}]


def test_an_import_over_an_entered_day_writes_only_what_it_changes(root):
    services.calendar_day_set(acting_user=root, day=date(2027, 1, 1), kind=DayKind.HOLIDAY)
    with updated_columns(CalendarDay._meta.db_table) as updates:
        result = services.calendar_import_rows(
            acting_user=root,
            rows=[(date(2027, 1, 1), "放假", "元旦", ""), (date(2027, 2, 6), "上班", "春节", "")],
        )
    assert (result.created, result.updated) == (1, 1)
    assert updates == [DAY_COLUMNS]
