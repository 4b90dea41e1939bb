"""core.spreadsheets: the one reader refuses oversized files before openpyxl parses them and
reads numbers safely; the one writer keeps text as text. The calendar import uses both."""

import datetime as dt
from decimal import Decimal
from io import BytesIO

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from core import spreadsheets
from core.models import AuditEvent, CalendarDay
from tests import spreadsheet_files as files

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def root(db):
    """An installation administrator: the only one who writes the national calendar."""
    from core.models import User

    return User.objects.create_superuser("root", password="x-Root-12345-y")


@pytest.fixture
def no_parsing(monkeypatch):
    """Fail the test if openpyxl is asked to open the workbook."""

    def refuse(*args, **kwargs):
        raise AssertionError("openpyxl.load_workbook was called")

    monkeypatch.setattr(openpyxl, "load_workbook", refuse)


def read_all(data: bytes, **kwargs) -> list:
    with spreadsheets.open_workbook(BytesIO(data), **kwargs) as book:
        return [row for name in book.sheetnames for row in book.rows(name)]


# ---------------------------------------------------------------- refused before parsing


def test_the_bomb_is_a_real_workbook_that_inflates_to_hundreds_of_megabytes():
    import zipfile

    data = files.bomb()
    assert len(data) < 1024 * 1024
    archive = zipfile.ZipFile(BytesIO(data))
    sheet = archive.getinfo("xl/worksheets/sheet1.xml")
    assert sheet.file_size > 200_000_000
    with archive.open(sheet) as part:
        assert part.read(200).startswith(b"<?xml")


@pytest.mark.parametrize(
    "data, fragment",
    [
        (files.bomb(), "inflates to more than"),
        (files.many_cells(200_001), "more than 200000 cells"),
        (files.far_row(1_000_000), "more than 20000 rows"),
        (
            files.with_sheet(
                files.SHEET_START + b"<row/>" * 20_001 + files.SHEET_END,
            ),
            "more than 20000 rows",
        ),
        (
            files.with_sheet(
                files.SHEET_START + files.SHEET_END,
                extra={
                    "xl/strings.xml": f'<sst xmlns="{files.MAIN}">'.encode()
                    + "".join(f"<si><t>{n}</t></si>" for n in range(100_001)).encode()
                    + b"</sst>"
                },
            ),
            "more than 100000 shared strings",
        ),
        (
            files.with_sheet(
                files.SHEET_START + files.SHEET_END,
                extra={f"xl/media/{n}.bin": b"" for n in range(200)},
            ),
            "more than 200 parts",
        ),
    ],
    ids=["bomb", "cells", "far-row", "rows", "shared-strings", "parts"],
)
def test_oversized_files_are_refused_before_openpyxl_opens_them(no_parsing, data, fragment):
    with translation.override("en"), pytest.raises(spreadsheets.SpreadsheetTooLarge) as caught:
        read_all(data)
    assert caught.value.status == 413
    assert fragment in str(caught.value.message)


def test_limits_are_settings(no_parsing, settings):
    settings.SPREADSHEET_MAX_UNCOMPRESSED_BYTES = 1000
    with pytest.raises(spreadsheets.SpreadsheetTooLarge):
        read_all(files.with_sheet(files.SHEET_START + files.SHEET_END))


def test_a_part_with_a_document_type_is_not_a_workbook(no_parsing):
    doctype = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]><x>&a;</x>'
    with pytest.raises(spreadsheets.NotAWorkbook):
        read_all(files.with_sheet(doctype))


@pytest.mark.parametrize("data", [b"", b"not a zip", b"PK\x03\x04broken"])
def test_what_is_not_a_zip_is_not_a_workbook(no_parsing, data):
    with pytest.raises(spreadsheets.NotAWorkbook):
        read_all(data)


# ---------------------------------------------------------------- reading values


def test_values_numbers_as_bounded_decimals_and_rows_as_excel_numbers_them():
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["text", 2026, 24.5, True, dt.date(2027, 1, 1), "=1+1", 1e26, -1e26])
    sheet["A4"] = "row four"
    sheet["J4"] = 777001
    buffer = BytesIO()
    book.save(buffer)
    data = files.replaced(buffer.getvalue(), {"<v>777001</v>": "<v>inf</v>"}).getvalue()
    rows = read_all(data)
    (n1, first), (n2, second), (n3, third), (n4, fourth) = rows
    assert (n1, n2, n3, n4) == (1, 2, 3, 4) and second == third == ()
    assert first[:5] == ("text", Decimal(2026), Decimal("24.5"), True, dt.datetime(2027, 1, 1))
    assert isinstance(first[5], spreadsheets.Formula) and first[5] == "=1+1"
    assert isinstance(first[6], spreadsheets.HugeNumber) and first[6] == "1e+26"
    assert isinstance(first[7], spreadsheets.HugeNumber)
    assert fourth[0] == "row four"
    assert isinstance(fourth[9], spreadsheets.BadNumber) and fourth[9] == "inf"


@pytest.mark.parametrize("raw", ["inf", "-inf", "NaN", "1e400", "9" * 5000, "12abc"])
def test_numbers_no_decimal_can_hold_are_bad_numbers(raw):
    data = files.with_sheet(
        files.SHEET_START
        + f'<row r="1"><c r="A1" t="n"><v>{raw}</v></c></row>'.encode()
        + files.SHEET_END
    )
    ((_number, (value,)),) = read_all(data)
    assert isinstance(value, spreadsheets.BadNumber), value


# ---------------------------------------------------------------- writing


@pytest.mark.parametrize("streaming", [False, True])
def test_the_writer_keeps_text_text_and_numbers_numbers(streaming):
    book = spreadsheets.new_workbook(streaming=streaming)
    sheet = book.create_sheet("s")
    values = ["=1+1", "+1", "-1", "@A1", "\tx", "plain", Decimal("1.50"), 3, dt.date(2027, 1, 1)]
    spreadsheets.append(sheet, values)
    loaded = openpyxl.load_workbook(BytesIO(spreadsheets.to_bytes(book)), data_only=False)
    cells = next(loaded["s"].iter_rows())
    assert [c.value for c in cells[:6]] == values[:6]
    assert {c.data_type for c in cells[:6]} == {"s"}
    assert [c.quotePrefix for c in cells[:6]] == [True] * 5 + [False]
    assert (cells[6].value, cells[7].value) == (1.5, 3)
    assert cells[8].value == dt.datetime(2027, 1, 1) and cells[8].is_date


# ---------------------------------------------------------------- the calendar import


@pytest.mark.django_db
def test_the_calendar_import_refuses_the_bomb_before_parsing_and_writes_nothing(
    client, root, no_parsing
):
    client.force_login(root)  # the calendar is national: installation administrators write it
    audits = AuditEvent.objects.count()
    upload = SimpleUploadedFile("calendar.xlsx", files.bomb(), content_type=XLSX)
    response = client.post(reverse("calendar_import"), {"file": upload}, follow=True)
    # the calendar page again, with the refusal as its message (no separate error page)
    assert response.redirect_chain == [(reverse("calendar"), 302)]
    assert "过大" in response.content.decode()
    assert CalendarDay.objects.count() == 0 and AuditEvent.objects.count() == audits


@pytest.mark.django_db
def test_a_calendar_date_cell_holding_inf_is_a_message_naming_the_row(client, root):
    book = openpyxl.Workbook()
    book.active.append(["日期", "类型", "名称", "备注"])
    book.active.append([777001, "放假", "元旦", ""])
    buffer = BytesIO()
    book.save(buffer)
    data = files.replaced(buffer.getvalue(), {"<v>777001</v>": "<v>inf</v>"}).getvalue()
    client.force_login(root)
    upload = SimpleUploadedFile("calendar.xlsx", data, content_type=XLSX)
    response = client.post(reverse("calendar_import"), {"file": upload}, follow=True)
    assert response.status_code == 200
    body = response.content.decode()
    assert "inf" in body and CalendarDay.objects.count() == 0
