"""The calendar import reads its sheet through the one spreadsheet kernel (core.spreadsheets):
columns found by their headers, formulas refused, every problem named by sheet, row and column,
all or nothing."""

from __future__ import annotations

from datetime import date
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from openpyxl import Workbook

from core import services
from core.models import AuditEvent, CalendarDay, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(db):
    """An installation administrator: the only one who changes the national calendar."""
    return User.objects.create_superuser(
        "root", password="x-Root-12345-y", display_name="安装管理员"
    )


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook(rows, *, title="日历") -> SimpleUploadedFile:
    book = Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    buffer = BytesIO()
    book.save(buffer)
    return SimpleUploadedFile("calendar.xlsx", buffer.getvalue(), content_type=XLSX)


def refusal(root, upload) -> list[str]:
    with translation.override("en"), pytest.raises(services.CalendarImportError) as excinfo:
        services.calendar_import_xlsx(acting_user=root, file=upload)
    return excinfo.value.messages


def test_columns_are_found_by_their_headers_in_any_order_with_extra_columns(root):
    # given the columns in another order, with notes in brackets and a column the import ignores
    upload = workbook(
        [
            ["备注", "说明 (ignored)", "类型 (Kind)", "名称", "日期 (Date)"],
            ["调休上班", "x", "上班", "春节", date(2027, 2, 6)],
            ["", "y", "放假", "元旦", "2027-01-01"],
        ]
    )

    # when it is imported
    result = services.calendar_import_xlsx(acting_user=root, file=upload)

    # then each value is read from its own column
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    assert list(
        CalendarDay.objects.order_by("date").values_list("date", "kind", "name", "note")
    ) == [
        (date(2027, 1, 1), "holiday", "元旦", ""),
        (date(2027, 2, 6), "workday", "春节", "调休上班"),
    ]


def test_a_missing_column_is_named(root):
    # given a sheet without the kind column
    upload = workbook([["日期", "名称"], ["2027-01-01", "元旦"]])

    # when it is imported: refused, naming the sheet and the column
    messages = refusal(root, upload)

    # then
    assert any("日历" in m and "类型" in m for m in messages), messages
    assert not CalendarDay.objects.exists()


def test_a_formula_is_refused_naming_sheet_row_and_column(root):
    # given a date computed by a formula in sheet row 3
    upload = workbook(
        [
            ["日期", "类型", "名称", "备注"],
            ["2027-01-01", "放假", "元旦", ""],
            ["=A2+1", "放假", "", ""],
        ]
    )
    audit_before = AuditEvent.objects.count()

    # when it is imported
    messages = refusal(root, upload)

    # then nothing is written and the message names the place and the formula
    assert any(
        "日历" in m and "3" in m and "日期" in m and "formula" in m and "A2+1" in m
        for m in messages
    ), messages
    assert not CalendarDay.objects.exists()
    assert AuditEvent.objects.count() == audit_before


def test_every_bad_cell_is_reported_at_once(root):
    # given two bad rows
    upload = workbook(
        [
            ["日期", "类型", "名称", "备注"],
            ["2027-13-45", "放假", "", ""],
            ["2027-01-02", "加班", "", ""],
        ]
    )

    # when it is imported
    messages = refusal(root, upload)

    # then both problems are named with their row and column
    assert any("row 2" in m and "日期" in m and "2027-13-45" in m for m in messages), messages
    assert any("row 3" in m and "类型" in m for m in messages), messages


def test_the_rows_service_checks_as_the_sheet_does(root):
    # given typed rows with a duplicate date (row 3 as a sheet would number it)
    rows = [("2027-01-01", "放假", "元旦", ""), (date(2027, 1, 1), "上班", "", "")]

    # when they are imported: refused, naming the row and the date
    with translation.override("en"), pytest.raises(services.CalendarImportError) as excinfo:
        services.calendar_import_rows(acting_user=root, rows=rows)

    # then
    assert any("row 3" in m and "2027-01-01" in m for m in excinfo.value.messages)
    assert not CalendarDay.objects.exists()


def test_a_workbook_made_from_the_earlier_template_still_reads(root):
    # given the headers the template used to have
    upload = workbook(
        [
            ["日期 Date", "类型 Kind (放假/上班)", "名称 Holiday", "备注 Note"],
            ["2027-01-01", "放假", "元旦", ""],
        ]
    )

    # when it is imported
    result = services.calendar_import_xlsx(acting_user=root, file=upload)

    # then its row is read
    assert result.created == 1
    assert CalendarDay.objects.get().name == "元旦"
