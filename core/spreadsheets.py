"""Spreadsheets (.xlsx): one reader for every import and one writer for every export.

Reading. An xlsx file is a zip of XML parts, and a few hundred kilobytes can inflate to gigabytes
of cells. Before openpyxl parses anything the zip directory is checked (the number of parts, each
part's declared size and compression ratio, the total; `zipfile` never inflates a part beyond its
declared size, so the declared sizes bound the work), then every XML part is scanned once by expat
with constant memory: rows, cells and shared strings are counted and the scan stops at the first
limit passed. Only then does openpyxl open the workbook, and the rows are read through a parser
that turns what openpyxl cannot convert (a number cell holding "inf", 10⁴⁰⁰⁰) into a value the
import reports for its cell. Numbers come back as `Decimal` (bounded by NUMBER_LIMIT), formulas as
`Formula`, error cells as `CellError`, numbers out of range as `BadNumber`.

A file that is too large is refused with `SpreadsheetTooLarge` (HTTP 413, core.middleware); a file
that is not a workbook with `NotAWorkbook`, which each import turns into its own message.

Writing. Every cell written from a `str` is a text cell: openpyxl would otherwise store "=…" as a
live formula (a notice subject `=HYPERLINK(…)` becoming a link in the Office's Excel). Text that
starts with a character spreadsheet programs read as a formula (= + - @, tab, CR) is also given
Excel's quote prefix, so editing the cell in Excel keeps it text. Numbers stay numbers, dates stay
dates (aware times are written in Asia/Shanghai, which Excel cannot store a zone for).

Sheets by header. An import declares its sheets as `Column`s (key, header, notes) and gets
`SheetRow`s back: columns are found by their header (spaces and a trailing note in brackets are
ignored, extra columns too), blank rows are skipped, and every problem is collected in one
`Messages` naming the sheet, the row and the column — `指标 row 7 “满分”: “abc” is not a number.`
(msgids are English) — so that an import can report every problem at once and write nothing.
The cell converters (`text`, `code`, `points`, `yes_no`, `date`) refuse formulas (their cached
value may be stale or absent), error cells and numbers out of range with such a message. The
writing side of the same layout: `header`, `write_rows`, `choices` and `notes` make the
template an import reads back.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from io import BytesIO
from typing import Any
from xml.parsers import expat

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from . import validation
from .errors import UploadRejected

MB = 1024 * 1024
DEFAULTS = {
    # the upload itself (compressed)
    "SPREADSHEET_MAX_FILE_BYTES": 5 * MB,
    # all parts together, inflated
    "SPREADSHEET_MAX_UNCOMPRESSED_BYTES": 20 * MB,
    # one part (a sheet's XML), inflated
    "SPREADSHEET_MAX_PART_BYTES": 10 * MB,
    "SPREADSHEET_MAX_PARTS": 200,
    # inflated ÷ compressed, checked for parts larger than RATIO_CHECKED_FROM
    "SPREADSHEET_MAX_RATIO": 100,
    "SPREADSHEET_MAX_SHARED_STRINGS": 100_000,
    "SPREADSHEET_MAX_SHARED_STRINGS_BYTES": 5 * MB,
}
RATIO_CHECKED_FROM = 1 * MB
MAX_ROWS = 20_000  # per import, all sheets together (an import may ask for fewer)
MAX_CELLS = 200_000
ELEMENTS_PER_CELL = 6  # <c><v>, <f>, <is><t>, rich-text runs: the scan stops well after real cells
NUMBER_LIMIT = Decimal(10) ** 15  # no figure of an assessment is near it; Decimal stays exact
MAIN_NAMESPACES = (
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "http://purl.oclc.org/ooxml/spreadsheetml/main",
)


def limit(name: str) -> int:
    return int(getattr(settings, name, DEFAULTS[name]))


class SpreadsheetTooLarge(UploadRejected):
    """The file passes a limit of size, rows, cells or shared strings (HTTP 413)."""

    def __init__(self, message):
        super().__init__(message, 413)


class NotAWorkbook(Exception):
    """The file is not an xlsx workbook that can be read."""

    def __init__(self, message=None):
        self.message = message or _("The file could not be read as an Excel workbook (.xlsx).")
        super().__init__(str(self.message))


class Formula(str):
    """A formula cell (its text): imports want the value itself."""


class CellError(str):
    """An error cell such as #DIV/0!."""


class BadNumber(str):
    """A number cell that is no usable number (not finite, or not readable); its text."""


class HugeNumber(BadNumber):
    """A number cell of magnitude NUMBER_LIMIT or more; its text."""


def _too_large(what: str) -> SpreadsheetTooLarge:
    return SpreadsheetTooLarge(
        _("The spreadsheet is too large to import (%(what)s). Nothing was imported.")
        % {"what": what}
    )


# ---------------------------------------------------------------- before parsing


def _file_size(fileobj) -> int | None:
    size = getattr(fileobj, "size", None)
    if isinstance(size, int):
        return size
    try:
        position = fileobj.tell()
        end = fileobj.seek(0, 2)
        fileobj.seek(position)
        return end
    except (AttributeError, OSError, ValueError):
        return None


class _Counts:
    def __init__(self, max_rows: int, max_cells: int):
        self.max_rows, self.max_cells = max_rows, max_cells
        self.max_elements = max_cells * ELEMENTS_PER_CELL + 100_000
        self.rows = self.cells = self.strings = self.elements = 0
        self.max_strings = limit("SPREADSHEET_MAX_SHARED_STRINGS")


class _DocumentType(Exception):
    pass


def _scan(archive: zipfile.ZipFile, info: zipfile.ZipInfo, counts: _Counts) -> None:
    """Count the rows, cells and shared strings of one part, stopping at the first limit."""
    parser = expat.ParserCreate(namespace_separator=" ")

    def start(name: str, attrs: dict) -> None:
        counts.elements += 1
        if counts.elements > counts.max_elements:
            raise _too_large(_("more than %(n)s cells") % {"n": counts.max_cells})
        namespace, _sep, local = name.rpartition(" ")
        if namespace not in MAIN_NAMESPACES:
            return
        if local == "c":
            counts.cells += 1
            if counts.cells > counts.max_cells:
                raise _too_large(_("more than %(n)s cells") % {"n": counts.max_cells})
        elif local == "row":
            counts.rows += 1
            number = attrs.get("r", "")
            if counts.rows > counts.max_rows or (
                number.isdigit() and int(number) > counts.max_rows
            ):
                raise _too_large(_("more than %(n)s rows") % {"n": counts.max_rows})
        elif local == "si":
            counts.strings += 1
            if counts.strings > counts.max_strings:
                raise _too_large(_("more than %(n)s shared strings") % {"n": counts.max_strings})

    def document_type(*args) -> None:
        raise _DocumentType  # an xlsx part never declares a DTD or entities

    parser.StartElementHandler = start
    parser.StartDoctypeDeclHandler = document_type
    parser.EntityDeclHandler = document_type
    try:
        with archive.open(info) as part:
            while chunk := part.read(64 * 1024):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except expat.ExpatError:
        # Not XML (an image) or broken XML: openpyxl stops where expat stopped, and what came
        # before has been counted.
        return
    except _DocumentType:
        raise NotAWorkbook from None
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError) as exc:
        raise NotAWorkbook from exc


def inspect(fileobj, *, max_rows: int = MAX_ROWS, max_cells: int = MAX_CELLS) -> None:
    """Refuse a file that is not a zip or too large in any respect, without inflating more than
    the limits allow; leaves the file at its start."""
    size = _file_size(fileobj)
    if size is not None and size > limit("SPREADSHEET_MAX_FILE_BYTES"):
        raise _too_large(
            _("the file is larger than %(limit)s")
            % {"limit": filesizeformat(limit("SPREADSHEET_MAX_FILE_BYTES"))}
        )
    try:
        fileobj.seek(0)
        archive = zipfile.ZipFile(fileobj)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise NotAWorkbook from exc
    with archive:
        infos = archive.infolist()
        if len(infos) > limit("SPREADSHEET_MAX_PARTS"):
            raise _too_large(
                _("more than %(n)s parts in the file") % {"n": limit("SPREADSHEET_MAX_PARTS")}
            )
        total = 0
        for info in infos:
            if info.flag_bits & 0x1 or info.compress_type not in (
                zipfile.ZIP_STORED,
                zipfile.ZIP_DEFLATED,
            ):
                raise NotAWorkbook  # encrypted, or a compression Excel never writes
            total += info.file_size
            if info.file_size > limit("SPREADSHEET_MAX_PART_BYTES"):
                raise _too_large(
                    _("a part inflates to more than %(limit)s")
                    % {"limit": filesizeformat(limit("SPREADSHEET_MAX_PART_BYTES"))}
                )
            if info.file_size > RATIO_CHECKED_FROM and info.file_size > limit(
                "SPREADSHEET_MAX_RATIO"
            ) * max(info.compress_size, 1):
                raise _too_large(_("a part is compressed more than any real workbook is"))
            if info.filename.lower().endswith("sharedstrings.xml") and info.file_size > limit(
                "SPREADSHEET_MAX_SHARED_STRINGS_BYTES"
            ):
                raise _too_large(
                    _("the shared strings inflate to more than %(limit)s")
                    % {"limit": filesizeformat(limit("SPREADSHEET_MAX_SHARED_STRINGS_BYTES"))}
                )
        if total > limit("SPREADSHEET_MAX_UNCOMPRESSED_BYTES"):
            raise _too_large(
                _("it inflates to more than %(limit)s")
                % {"limit": filesizeformat(limit("SPREADSHEET_MAX_UNCOMPRESSED_BYTES"))}
            )
        counts = _Counts(max_rows, max_cells)
        for info in infos:
            if not info.is_dir():
                _scan(archive, info, counts)
    fileobj.seek(0)


# ---------------------------------------------------------------- reading


def number(value: int | float) -> Decimal | BadNumber:
    """A number cell as a Decimal, or BadNumber when it is not finite or NUMBER_LIMIT or more."""
    if isinstance(value, float):
        if not math.isfinite(value):
            return BadNumber(str(value))
        result = Decimal(repr(value))
    else:
        result = Decimal(value)
    if abs(result) >= NUMBER_LIMIT:
        return HugeNumber(str(value)[:40])
    return result


def _parser_class():
    from openpyxl.worksheet._reader import VALUE_TAG, WorkSheetParser

    class Parser(WorkSheetParser):
        """openpyxl's parser, except that a cell it cannot convert becomes a BadNumber."""

        def parse_cell(self, element):
            try:
                return super().parse_cell(element)
            except (ValueError, OverflowError, IndexError, TypeError):
                text = (element.findtext(VALUE_TAG, None) or "")[:40]
                value = BadNumber(text)
                return {
                    "row": self.row_counter,
                    "column": self.col_counter,
                    "value": value,
                    "data_type": "n",
                    "style_id": 0,
                }

    return Parser


def _value(cell: dict, data_only: bool) -> Any:
    value, data_type = cell["value"], cell["data_type"]
    if value is None or isinstance(value, BadNumber):
        return value
    if data_type == "f" and not data_only:
        return Formula(getattr(value, "text", value) or "")
    if data_type == "e":
        return CellError(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return number(value)
    # str (a NUL character is kept, for plain() to refuse), datetime, date, time, timedelta
    return value


class Reader:
    """An opened workbook: its sheet names and, for a sheet, its rows of values."""

    def __init__(self, book, *, data_only: bool, max_rows: int, max_cells: int):
        self._book = book
        self._data_only = data_only
        self._max_rows = max_rows
        self._cells_left = max_cells
        self._max_cells = max_cells

    @property
    def sheetnames(self) -> list[str]:
        return list(self._book.sheetnames)

    def rows(
        self, sheet: str | int, *, min_row: int = 1, max_col: int | None = None
    ) -> Iterator[tuple[int, tuple]]:
        """(row number as Excel shows it, values) for every row from min_row on; a row missing
        from the file comes as an empty tuple, values end at the row's last non-empty cell."""
        from xml.etree.ElementTree import ParseError

        book = self._book
        try:
            ws = book[sheet] if isinstance(sheet, str) else book.worksheets[sheet]
        except (KeyError, IndexError) as exc:
            raise NotAWorkbook from exc
        if not hasattr(ws, "_get_source"):
            raise NotAWorkbook  # a chart sheet
        try:
            yield from self._rows(ws, min_row, max_col)
        except (ParseError, zipfile.BadZipFile, EOFError, KeyError) as exc:
            raise NotAWorkbook from exc

    def _rows(self, ws, min_row: int, max_col: int | None) -> Iterator[tuple[int, tuple]]:
        book = self._book
        with ws._get_source() as source:
            parser = _parser_class()(
                source,
                ws._shared_strings,
                data_only=self._data_only,
                epoch=book.epoch,
                date_formats=book._date_formats,
                timedelta_formats=book._timedelta_formats,
            )
            expected = 1
            for row_number, cells in parser.parse():
                if row_number > self._max_rows:
                    raise _too_large(_("more than %(n)s rows") % {"n": self._max_rows})
                if row_number < expected:
                    continue  # a row given twice: openpyxl keeps the first too
                for missing in range(expected, row_number):
                    if missing >= min_row:
                        yield missing, ()
                expected = row_number + 1
                if row_number < min_row:
                    continue
                values = {c["column"]: _value(c, self._data_only) for c in cells}
                width = max((col for col, v in values.items() if v is not None), default=0)
                if max_col is not None:
                    width = min(width, max_col)
                self._cells_left -= max(width, 1)
                if self._cells_left < 0:
                    raise _too_large(_("more than %(n)s cells") % {"n": self._max_cells})
                yield row_number, tuple(values.get(col) for col in range(1, width + 1))


@contextmanager
def open_workbook(
    fileobj, *, data_only: bool = False, max_rows: int = MAX_ROWS, max_cells: int = MAX_CELLS
) -> Iterator[Reader]:
    """The workbook, once `inspect` found it within the limits (data_only: formulas give their
    cached value instead of a Formula)."""
    inspect(fileobj, max_rows=max_rows, max_cells=max_cells)
    from openpyxl import load_workbook

    try:
        book = load_workbook(fileobj, read_only=True, data_only=data_only)
    except Exception as exc:  # openpyxl raises many types for a file that is not xlsx
        raise NotAWorkbook from exc
    try:
        yield Reader(book, data_only=data_only, max_rows=max_rows, max_cells=max_cells)
    finally:
        book.close()


# ---------------------------------------------------------------- writing

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
MAX_TEXT = 32767  # Excel's limit for one cell


def clean_text(value: str) -> str:
    """Text Excel can store: without the control characters XML 1.0 forbids."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", value)[:MAX_TEXT]


def assign(cell, value: Any) -> None:
    """Put a value into a cell: text as text (never a formula), numbers and dates as such."""
    if value is None:
        cell.value = None
        return
    if isinstance(value, Promise):
        value = str(value)
    if isinstance(value, str):
        text = clean_text(str(value))
        cell.value = text
        cell.data_type = "s"
        if text.startswith(FORMULA_STARTS):
            cell.quotePrefix = True
        return
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value).replace(tzinfo=None)
    cell.value = value


def new_workbook(*, streaming: bool = False):
    """An empty workbook without sheets (streaming: write-only, rows appended in order)."""
    from openpyxl import Workbook

    book = Workbook(write_only=streaming)
    if not streaming:
        book.remove(book.active)
    return book


def append(sheet, values: Iterable[Any]) -> None:
    """Append one row to a sheet of either kind of workbook."""
    from openpyxl.cell import WriteOnlyCell

    cells = []
    for value in values:
        cell = WriteOnlyCell(sheet)
        assign(cell, value)
        cells.append(cell)
    sheet.append(cells)


def put(sheet, row: int, column: int, value: Any):
    """Write one cell of a (not streaming) sheet; returns the cell for styling."""
    cell = sheet.cell(row=row, column=column)
    assign(cell, value)
    return cell


def to_bytes(book) -> bytes:
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------- sheets by header

YES, NO = "是", "否"
MAX_MESSAGES = 200  # a wholly wrong file should not produce 40,000 lines
SHEET_ROWS = 5000  # data rows per sheet, unless an import asks for another limit
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日")


@dataclass(frozen=True)
class Column:
    """One column of an import's sheet: found by `header`, described in the notes sheet."""

    key: str
    header: str
    note_zh: str
    note_en: str
    example: str
    width: int = 14


@dataclass(frozen=True)
class SheetRow:
    number: int  # as Excel numbers it (the header is row 1)
    values: dict[str, Any]


class SheetErrors(ValidationError):
    """A spreadsheet import refused: `.messages` lists every problem found."""


class Bad(Exception):
    """A cell's problem (the message without the place)."""

    def __init__(self, problem: str):
        self.problem = problem
        super().__init__(problem)


INVALID = object()  # what `get` returns for a cell whose problem it recorded


class Messages:
    """Every problem of an import, each naming its place; raised at once (at most `limit`)."""

    def __init__(self, *, limit: int | None = None):
        self.items: list[str] = []
        self.limit = MAX_MESSAGES if limit is None else limit

    def add(self, message: str) -> None:
        self.items.append(message)

    def cell(self, sheet: str, row: int, column: str, problem: str) -> None:
        place = _("%(sheet)s row %(row)s “%(column)s”") % {
            "sheet": sheet,
            "row": row,
            "column": column,
        }
        self.add(_("%(place)s: %(problem)s") % {"place": place, "problem": problem})

    def raise_if_any(self, error_class: type[SheetErrors] = SheetErrors) -> None:
        if not self.items:
            return
        shown = self.items[: self.limit]
        if len(self.items) > self.limit:
            shown.append(_("… and %(n)s more problems.") % {"n": len(self.items) - self.limit})
        raise error_class(shown)


def header_key(value: Any) -> str:
    """A header as written, without spaces and without a trailing note in brackets."""
    text = re.sub(r"\s+", "", str(value or ""))
    return re.split(r"[（(]", text, maxsplit=1)[0]


def read_sheets(
    fileobj,
    sheets: dict[str, Sequence[Column]],
    error_class: type[SheetErrors] = SheetErrors,
    *,
    max_file_bytes: int | None = None,
    max_rows: int = SHEET_ROWS,
    max_messages: int | None = None,
) -> dict[str, list[SheetRow]]:
    """The rows of each named sheet, by column key; `error_class` lists what makes the file not
    such a workbook (a missing sheet or column, too many rows). Too large a file is refused before
    parsing (SpreadsheetTooLarge, HTTP 413) when it inflates, or holds more rows or cells, than
    the limits allow; `max_file_bytes` is an import's own, lower, limit of the upload's size."""
    size = _file_size(fileobj)
    if max_file_bytes is not None and size is not None and size > max_file_bytes:
        raise error_class(
            [
                _("The file is larger than %(limit)s: this is not a workbook of this kind.")
                % {"limit": filesizeformat(max_file_bytes)}
            ]
        )
    messages = Messages(limit=max_messages)
    result: dict[str, list[SheetRow]] = {}
    try:
        with open_workbook(fileobj) as workbook:
            missing = [name for name in sheets if name not in workbook.sheetnames]
            if missing:
                raise error_class(
                    [
                        _("The workbook has no sheet “%(sheet)s” (its sheets: %(found)s).")
                        % {"sheet": name, "found": "、".join(workbook.sheetnames)}
                        for name in missing
                    ]
                )
            for name, columns in sheets.items():
                result[name] = read_sheet(
                    workbook.rows(name), name, columns, messages, max_rows=max_rows
                )
    except NotAWorkbook as exc:
        raise error_class([exc.message]) from exc
    messages.raise_if_any(error_class)
    return result


def read_sheet(
    rows, name: str, columns: Sequence[Column], messages: Messages, *, max_rows: int = SHEET_ROWS
) -> list[SheetRow]:
    """`rows`: (row number, values) from `Reader.rows`; the first row with content is the header
    (row 1 in a workbook made as the template shows). Blank rows are skipped; blank but formatted
    rows count towards a physical limit, so that reading always ends."""
    header = None
    for _number, values in rows:
        if any(v is not None for v in values):
            header = values
            break
    positions: dict[str, int] = {}
    for index, value in enumerate(header or ()):
        key = header_key(value)
        for column in columns:
            if key == column.header and column.key not in positions:
                positions[column.key] = index
    absent = [c.header for c in columns if c.key not in positions]
    if absent:
        messages.add(
            _("Sheet %(sheet)s: the header row (row 1) lacks the columns %(columns)s.")
            % {"sheet": name, "columns": "、".join(f"“{h}”" for h in absent)}
        )
        return []
    result: list[SheetRow] = []
    for number, row in rows:
        if number > max_rows * 4 + 1:
            messages.add(_("Sheet %(sheet)s has too many rows.") % {"sheet": name})
            break
        values = {key: row[index] if index < len(row) else None for key, index in positions.items()}
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values.values()):
            continue
        if len(result) == max_rows:
            messages.add(
                _("Sheet %(sheet)s has more than %(max)s rows.") % {"sheet": name, "max": max_rows}
            )
            break
        result.append(SheetRow(number, values))
    return result


def get(messages: Messages, sheet: str, row: SheetRow, column: Column, convert: Callable, **kwargs):
    """The row's cell of `column` converted, or INVALID with its problem recorded."""
    try:
        return convert(row.values.get(column.key), **kwargs)
    except Bad as bad:
        messages.cell(sheet, row.number, column.header, bad.problem)
        return INVALID


def by_key(columns: Sequence[Column]) -> dict[str, Column]:
    return {c.key: c for c in columns}


# ---------------------------------------------------------------- cell converters


def plain(value: Any) -> Any:
    """The value, unless the cell holds what an import never takes (a formula, an error, a
    number out of range): Bad."""
    if isinstance(value, HugeNumber):
        raise Bad(_("“%(value)s” is too large a number.") % {"value": value})
    if isinstance(value, BadNumber):
        raise Bad(_("“%(value)s” is not a number.") % {"value": value})
    if isinstance(value, Formula):
        raise Bad(
            _("the cell holds a formula (%(formula)s): enter the value itself.")
            % {"formula": value[:40]}
        )
    if isinstance(value, CellError):
        raise Bad(_("the cell shows an error (%(error)s).") % {"error": value})
    # The one policy for typed text (core.validation): refused, never silently dropped.
    validation.refuse_nul(value, label=_("the cell"), error=Bad)
    return value


def text(value: Any, *, required: bool = True, max_length: int = 200) -> str:
    """A cell as text: a number cell 2026 reads as "2026", a date as 2026-03-31."""
    value = plain(value)
    if value is None:
        result = ""
    elif isinstance(value, bool):
        result = YES if value else NO
    elif isinstance(value, float) and value.is_integer():
        result = str(int(value))
    elif isinstance(value, Decimal):
        result = str(int(value)) if value == value.to_integral_value() else format(value, "f")
    elif isinstance(value, dt.datetime):
        result = value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    elif isinstance(value, dt.date):
        result = value.isoformat()
    else:
        result = str(value)
    result = result.strip()
    if required and not result:
        raise Bad(_("this cell is required."))
    if len(result) > max_length:
        raise Bad(_("too long (at most %(n)s characters).") % {"n": max_length})
    return result


def code(value: Any, *, max_length: int = 20) -> str:
    result = text(value, max_length=max_length)
    if not CODE_RE.match(result):
        raise Bad(
            _("“%(value)s” is not a valid code (letters, digits, “-”, “_” or “.”).")
            % {"value": result}
        )
    return result


def points(value: Any, *, low=Decimal(0), high=None, required: bool = True) -> Decimal | None:
    """A number with at most 2 decimal places within [low, high]; None for a blank optional."""
    value = plain(value)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise Bad(_("this cell is required."))
        return None
    if isinstance(value, bool | dt.date):
        raise Bad(_("“%(value)s” is not a number.") % {"value": text(value)})
    raw = str(value).strip()
    try:
        result = Decimal(raw)
    except (InvalidOperation, ValueError):
        raise Bad(_("“%(value)s” is not a number.") % {"value": raw[:40]}) from None
    if not result.is_finite():
        raise Bad(_("“%(value)s” is not a number.") % {"value": raw[:40]})
    if abs(result) >= NUMBER_LIMIT:
        raise Bad(_("“%(value)s” is too large a number.") % {"value": raw[:40]})
    if result != result.quantize(Decimal("0.01")):
        raise Bad(_("“%(value)s” has more than 2 decimal places.") % {"value": raw[:40]})
    if low is not None and result < low:
        raise Bad(_("%(value)s is less than %(low)s.") % {"value": raw, "low": low})
    if high is not None and result > high:
        raise Bad(_("%(value)s is more than %(high)s.") % {"value": raw, "high": high})
    return result.quantize(Decimal("0.01"))


def yes_no(value: Any) -> bool:
    """是 or 否 (blank is 否)."""
    value = plain(value)
    if value is None or value is False:
        return False
    if value is True:
        return True
    result = str(value).strip()
    if result in ("", NO):
        return False
    if result == YES:
        return True
    raise Bad(_("“%(value)s”: write 是 or 否.") % {"value": result[:40]})


def date(value: Any) -> dt.date | None:
    """A date cell, or text in one of DATE_FORMATS; None when blank."""
    value = plain(value)
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    result = str(value).strip()
    if not result:
        return None
    if isinstance(value, str):
        for fmt in DATE_FORMATS:
            try:
                return dt.datetime.strptime(result, fmt).date()  # noqa: DTZ007 (a date, no time)
            except ValueError:
                continue
    raise Bad(_("“%(value)s” is not a date (write 2026-03-31).") % {"value": result[:40]})


# ---------------------------------------------------------------- templates an import reads back

NOTES_SHEET = "说明"


def header(sheet, columns: Sequence[Column]) -> None:
    """Row 1: the columns' headers, bold, with the columns' widths; frozen below."""
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    append(sheet, [c.header for c in columns])
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="FDE9D9")
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"


def put_value(sheet, row: int, column: int, value: Any) -> None:
    """`put`, with 2 decimal places shown for a Decimal and a date shown as a date."""
    if value is None:
        sheet.cell(row=row, column=column)
        return
    cell = put(sheet, row, column, value)
    if isinstance(value, Decimal):
        cell.number_format = "0.00"
    elif isinstance(value, dt.date):
        cell.number_format = "yyyy-mm-dd"


def write_rows(sheet, columns: Sequence[Column], rows: Iterable[dict]) -> None:
    """Rows from row 2 on, each a {column key: value}."""
    for number, row in enumerate(rows, start=2):
        for index, column in enumerate(columns, start=1):
            put_value(sheet, number, index, row.get(column.key))


def choices(
    sheet, columns: Sequence[Column], key: str, labels: Sequence[str], *, rows: int = SHEET_ROWS
) -> None:
    """A drop-down of `labels` in the column `key` (rows 2 to rows + 1)."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    index = next(i for i, c in enumerate(columns, start=1) if c.key == key)
    letter = get_column_letter(index)
    validation = DataValidation(
        type="list", formula1='"' + ",".join(labels) + '"', allow_blank=True
    )
    validation.add(f"{letter}2:{letter}{rows + 1}")
    sheet.add_data_validation(validation)


def notes(workbook, title_lines: Sequence[str], sheets: Sequence[tuple[str, Sequence[Column]]]):
    """The 说明 sheet: the title lines, then what each column means (never read by an import)."""
    from openpyxl.styles import Alignment, Font

    sheet = workbook.create_sheet(NOTES_SHEET)
    for line in title_lines:
        append(sheet, [line])
    sheet.append([])
    heading = sheet.max_row + 1
    append(sheet, ["工作表 Sheet", "列 Column", "填写说明", "Notes", "示例 Example"])
    for cell in sheet[heading]:
        cell.font = Font(bold=True)
    for name, columns in sheets:
        for column in columns:
            append(sheet, [name, column.header, column.note_zh, column.note_en, column.example])
            for cell in sheet[sheet.max_row]:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    for letter, width in zip("ABCDE", (14, 14, 52, 52, 22), strict=True):
        sheet.column_dimensions[letter].width = width
