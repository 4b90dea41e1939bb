"""Spreadsheets of the assessment year: the indicator catalogue (Art. 5, R5.2) and the
comprehensive evaluation inputs (Art. 17).

The workbook layout is a file format, so its sheet names, headers and labels are fixed Chinese
strings (not translated: a file exported in one language must import in the other):

- 类别 — 代码, 名称, 牵头部门, 满分 (one row per category of Art. 4);
- 指标 — 代码, 类别代码, 名称, 指标说明, 满分, 需提供佐证 (是/否), 报送频次 (无/一次/年度/季度/
  月度), 截止日期 (one-off reports only);
- 综合考评 — 单位代码, 单位名称, 综合考评得分, 先进 (是/否);
- 说明 — what each column means, in Chinese and English; never read by the import.

Imports find columns by their header (extra columns are ignored), check every row before anything
is written and write nothing when any row is wrong: every problem is reported at once (at most
MAX_MESSAGES), naming the sheet, the row and the column — `指标 row 7 “满分”: “abc” is not a
number.` (msgids are English; zh_Hans renders them as `指标 第 7 行“满分”：“abc” 不是数字。`).
Formulas are refused (their cached value may be stale or absent): the cell must hold the value
itself. Exports write every text cell as text, so a name starting with “=” never becomes a formula.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import access, spreadsheets
from core.audit import audit_record
from core.errors import Conflict
from core.middleware import current_ip
from core.models import Unit, UnitKind

from . import policies, services
from .models import (
    SCHEDULE_REPORTS,
    AssessedUnit,
    AssessmentYear,
    Category,
    Comprehensive,
    Indicator,
    Schedule,
    YearStatus,
)

MAX_ROWS = (
    5000  # data rows per sheet; a catalogue has a few dozen, a sub-district a few dozen units
)
MAX_PHYSICAL_ROWS = MAX_ROWS * 4  # blank but formatted rows count here, so reading always ends
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_MESSAGES = 200  # a wholly wrong file should not produce 40,000 lines
MAX_DESCRIPTION = 5000
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")

SHEET_CATEGORIES = "类别"
SHEET_INDICATORS = "指标"
SHEET_COMPREHENSIVE = "综合考评"
SHEET_NOTES = "说明"

YES, NO = "是", "否"
SCHEDULE_LABELS = {
    Schedule.NONE: "无",
    Schedule.ONCE: "一次",
    Schedule.ANNUAL: "年度",
    Schedule.QUARTERLY: "季度",
    Schedule.MONTHLY: "月度",
}
# A year imported from a bundle may have a custom number of reports: exported under this label,
# which the import refuses (such a schedule is not made by hand).
CUSTOM_LABEL = "其他"
LABEL_SCHEDULES = {label: schedule for schedule, label in SCHEDULE_LABELS.items()}


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    note_zh: str
    note_en: str
    example: str
    width: int = 14


CATEGORY_COLUMNS = (
    Column(
        "code",
        "代码",
        "必填；字母、数字、“-”“_”“.”，最多 20 个字符，不得重复",
        "required; letters, digits, - _ ., at most 20, unique",
        "LZ",
        10,
    ),
    Column(
        "name",
        "名称",
        "必填，最多 100 个字",
        "required, at most 100 characters",
        "党风廉政建设",
        24,
    ),
    Column(
        "department",
        "牵头部门",
        "必填；本街道的牵头部门或领导小组办公室的名称（或简称）",
        "required; name (or short name) of a lead department or the Office of this sub-district",
        "街道纪检监察室",
        28,
    ),
    Column(
        "max_points",
        "满分",
        "必填；不小于 0，最多两位小数；各类别满分合计必须为 100（第四条）",
        "required; ≥ 0, at most 2 decimals; the categories add up to 100 (Art. 4)",
        "25",
        10,
    ),
)
INDICATOR_COLUMNS = (
    Column(
        "code",
        "代码",
        "必填；字母、数字、“-”“_”“.”，最多 20 个字符，不得重复",
        "required; letters, digits, - _ ., at most 20, unique",
        "LZ-01",
        10,
    ),
    Column(
        "category", "类别代码", "必填；“类别”表中的代码", "required; a code of sheet 类别", "LZ", 10
    ),
    Column(
        "name",
        "名称",
        "必填，最多 200 个字",
        "required, at most 200 characters",
        "落实党风廉政建设主体责任",
        30,
    ),
    Column(
        "description",
        "指标说明",
        "选填；考核内容和评分标准",
        "optional; what is assessed and how",
        "每季度报送党风廉政建设工作情况",
        50,
    ),
    Column(
        "max_points",
        "满分",
        "必填；不小于 0，最多两位小数；同一类别各指标满分合计不得超过该类别满分",
        "required; ≥ 0, at most 2 decimals; a category's indicators add up to at most its maximum",
        "5",
        8,
    ),
    Column(
        "evidence_required",
        "需提供佐证",
        "“是”或“否”（空白视为“否”）：报送时必须附佐证材料",
        "是 (yes) or 否 (no, also when blank): reports must attach evidence",
        "是",
        12,
    ),
    Column(
        "schedule",
        "报送频次",
        "必填；无、一次、年度、季度、月度之一",
        "required; one of 无 (none), 一次 (once), 年度 (annual), 季度 (quarterly), 月度 (monthly)",
        "季度",
        10,
    ),
    Column(
        "due_date",
        "截止日期",
        "仅“一次”填写，且必须在本年度内，如 2026-03-31；其他频次留空（按月、季、年末截止）",
        "only for 一次 (once), within the year, e.g. 2026-03-31; blank otherwise (periods end "
        "at month, quarter or year end)",
        "",
        14,
    ),
)
COMPREHENSIVE_COLUMNS = (
    Column(
        "code",
        "单位代码",
        "必填；本年度被考核社区的代码",
        "required; code of a community assessed this year",
        "c01",
        12,
    ),
    Column(
        "name",
        "单位名称",
        "选填，仅供核对：填写时须与代码对应的社区一致",
        "optional, a check only: when given it must match the code's community",
        "和平里社区党委",
        24,
    ),
    Column(
        "score",
        "综合考评得分",
        "0 到 100，最多两位小数；留空表示删除该社区已录入的得分",
        "0 to 100, at most 2 decimals; blank removes the community's score",
        "92.5",
        14,
    ),
    Column(
        "advanced",
        "先进",
        "“是”或“否”（空白视为“否”）：目前是否保有“先进”",
        "是 (yes) or 否 (no, also when blank): currently holds “advanced”",
        "否",
        8,
    ),
)


class SheetErrors(ValidationError):
    """A spreadsheet import refused: `.messages` lists every problem found."""


class CatalogueErrors(SheetErrors):
    pass


class ComprehensiveErrors(SheetErrors):
    pass


# ---------------------------------------------------------------- reading cells


_Formula = spreadsheets.Formula
_CellError = spreadsheets.CellError


class _Bad(Exception):
    """A cell's problem (message without the place)."""

    def __init__(self, problem: str):
        self.problem = problem
        super().__init__(problem)


INVALID = object()


@dataclass(frozen=True)
class SheetRow:
    number: int  # as Excel numbers it (the header is row 1)
    values: dict[str, Any]


class _Messages:
    def __init__(self):
        self.items: list[str] = []

    def add(self, message: str) -> None:
        self.items.append(message)

    def cell(self, sheet: str, row: int, column: str, problem: str) -> None:
        place = _("%(sheet)s row %(row)s “%(column)s”") % {
            "sheet": sheet,
            "row": row,
            "column": column,
        }
        self.add(_("%(place)s: %(problem)s") % {"place": place, "problem": problem})

    def raise_if_any(self, error_class: type[SheetErrors]) -> None:
        if not self.items:
            return
        shown = self.items[:MAX_MESSAGES]
        if len(self.items) > MAX_MESSAGES:
            shown.append(_("… and %(n)s more problems.") % {"n": len(self.items) - MAX_MESSAGES})
        raise error_class(shown)


def _header_key(value: Any) -> str:
    """A header as written, without spaces and without a trailing note in brackets."""
    text = re.sub(r"\s+", "", str(value or ""))
    return re.split(r"[（(]", text, maxsplit=1)[0]


def _file_size(fileobj) -> int | None:
    return spreadsheets._file_size(fileobj)


def _read_workbook(
    fileobj, sheets: dict[str, Sequence[Column]], error_class: type[SheetErrors]
) -> dict[str, list[SheetRow]]:
    """The rows of each named sheet, by column key; refuses what is not such a workbook."""
    size = _file_size(fileobj)
    if size is not None and size > MAX_FILE_BYTES:
        from django.template.defaultfilters import filesizeformat

        raise error_class(
            [
                _("The file is larger than %(limit)s: this is not a workbook of this kind.")
                % {"limit": filesizeformat(MAX_FILE_BYTES)}
            ]
        )
    messages = _Messages()
    result: dict[str, list[SheetRow]] = {}
    try:
        # Refused before parsing (HTTP 413) when it inflates, or holds more rows or cells,
        # than any workbook of this kind.
        with spreadsheets.open_workbook(fileobj) as workbook:
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
                result[name] = _read_sheet(workbook.rows(name), name, columns, messages)
    except spreadsheets.NotAWorkbook as exc:
        raise error_class([exc.message]) from exc
    messages.raise_if_any(error_class)
    return result


def _read_sheet(rows, name: str, columns: Sequence[Column], messages: _Messages) -> list[SheetRow]:
    """`rows`: (row number, values) from core.spreadsheets; the first row with content is the
    header (row 1 in a workbook made as the template shows)."""
    header = None
    for _number, values in rows:
        if any(v is not None for v in values):
            header = values
            break
    positions: dict[str, int] = {}
    for index, value in enumerate(header or ()):
        key = _header_key(value)
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
        if number > MAX_PHYSICAL_ROWS + 1:
            messages.add(_("Sheet %(sheet)s has too many rows.") % {"sheet": name})
            break
        values = {key: row[index] if index < len(row) else None for key, index in positions.items()}
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values.values()):
            continue
        if len(result) == MAX_ROWS:
            messages.add(
                _("Sheet %(sheet)s has more than %(max)s rows.") % {"sheet": name, "max": MAX_ROWS}
            )
            break
        result.append(SheetRow(number, values))
    return result


# ---------------------------------------------------------------- cell converters


def _plain(value: Any) -> Any:
    if isinstance(value, spreadsheets.HugeNumber):
        raise _Bad(_("“%(value)s” is too large a number.") % {"value": value})
    if isinstance(value, spreadsheets.BadNumber):
        raise _Bad(_("“%(value)s” is not a number.") % {"value": value})
    if isinstance(value, _Formula):
        raise _Bad(
            _("the cell holds a formula (%(formula)s): enter the value itself.")
            % {"formula": value[:40]}
        )
    if isinstance(value, _CellError):
        raise _Bad(_("the cell shows an error (%(error)s).") % {"error": value})
    return value


def _text(value: Any, *, required: bool = True, max_length: int = 200) -> str:
    value = _plain(value)
    if value is None:
        text = ""
    elif isinstance(value, bool):
        text = YES if value else NO
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    elif isinstance(value, Decimal):
        # a number cell (core.spreadsheets bounds it): 2026 reads as "2026", 24.5 as "24.5"
        text = str(int(value)) if value == value.to_integral_value() else format(value, "f")
    elif isinstance(value, dt.datetime):
        text = value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    elif isinstance(value, dt.date):
        text = value.isoformat()
    else:
        text = str(value)
    text = text.strip()
    if required and not text:
        raise _Bad(_("this cell is required."))
    if len(text) > max_length:
        raise _Bad(_("too long (at most %(n)s characters).") % {"n": max_length})
    return text


def _code(value: Any) -> str:
    text = _text(value, max_length=20)
    if not CODE_RE.match(text):
        raise _Bad(
            _("“%(value)s” is not a valid code (letters, digits, “-”, “_” or “.”).")
            % {"value": text}
        )
    return text


def _points(value: Any, *, low=Decimal(0), high=None, required: bool = True) -> Decimal | None:
    value = _plain(value)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise _Bad(_("this cell is required."))
        return None
    if isinstance(value, bool | dt.date):
        raise _Bad(_("“%(value)s” is not a number.") % {"value": _text(value)})
    raw = str(value).strip()
    try:
        number = Decimal(raw)
    except (InvalidOperation, ValueError):
        raise _Bad(_("“%(value)s” is not a number.") % {"value": raw[:40]}) from None
    if not number.is_finite():
        raise _Bad(_("“%(value)s” is not a number.") % {"value": raw[:40]})
    if abs(number) >= spreadsheets.NUMBER_LIMIT:
        raise _Bad(_("“%(value)s” is too large a number.") % {"value": raw[:40]})
    if number != number.quantize(Decimal("0.01")):
        raise _Bad(_("“%(value)s” has more than 2 decimal places.") % {"value": raw[:40]})
    if low is not None and number < low:
        raise _Bad(_("%(value)s is less than %(low)s.") % {"value": raw, "low": low})
    if high is not None and number > high:
        raise _Bad(_("%(value)s is more than %(high)s.") % {"value": raw, "high": high})
    return number.quantize(Decimal("0.01"))


def _yes_no(value: Any) -> bool:
    value = _plain(value)
    if value is None or value is False:
        return False
    if value is True:
        return True
    text = str(value).strip()
    if text in ("", NO):
        return False
    if text == YES:
        return True
    raise _Bad(_("“%(value)s”: write 是 or 否.") % {"value": text[:40]})


def _schedule(value: Any) -> str:
    text = _text(value, max_length=20)
    schedule = LABEL_SCHEDULES.get(text)
    if schedule is None:
        raise _Bad(
            _("“%(value)s” is not a reporting schedule: write one of %(labels)s.")
            % {"value": text, "labels": "、".join(SCHEDULE_LABELS.values())}
        )
    return schedule


DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日")


def _date(value: Any) -> dt.date | None:
    value = _plain(value)
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if not text:
        return None
    if isinstance(value, str):
        for fmt in DATE_FORMATS:
            try:
                return dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007 (a date, no time)
            except ValueError:
                continue
    raise _Bad(_("“%(value)s” is not a date (write 2026-03-31).") % {"value": text[:40]})


def _get(
    messages: _Messages, sheet: str, row: SheetRow, column: Column, convert: Callable, **kwargs
):
    try:
        return convert(row.values.get(column.key), **kwargs)
    except _Bad as bad:
        messages.cell(sheet, row.number, column.header, bad.problem)
        return INVALID


def _columns(columns: Sequence[Column]) -> dict[str, Column]:
    return {c.key: c for c in columns}


# ---------------------------------------------------------------- catalogue


def _require_office_of(acting_user, year: AssessmentYear) -> AssessmentYear:
    """403 unless the user is the Office; 404 when the year is not of their sub-district."""
    if not policies.is_office(acting_user):
        raise PermissionDenied
    return access.get_visible_or_404(acting_user, AssessmentYear, pk=year.pk)


def _check_catalogue_open(year: AssessmentYear) -> None:
    services.guard_open(year)
    if year.status != YearStatus.PLANNING:
        # Its report tasks exist already (the same message as services.indicator_save).
        raise Conflict(_("The catalogue is fixed once the year has started."))


def import_catalogue(year: AssessmentYear, fileobj, acting_user) -> dict[str, int]:
    """Replace the year's categories and indicators with those of the workbook, all or nothing."""
    year = _require_office_of(acting_user, year)
    _check_catalogue_open(year)
    sheets = _read_workbook(
        fileobj,
        {SHEET_CATEGORIES: CATEGORY_COLUMNS, SHEET_INDICATORS: INDICATOR_COLUMNS},
        CatalogueErrors,
    )
    return _replace_catalogue(
        year,
        sheets[SHEET_CATEGORIES],
        sheets[SHEET_INDICATORS],
        acting_user,
        source=str(getattr(fileobj, "name", "") or "")[:200],
    )


def import_catalogue_rows(
    year: AssessmentYear,
    *,
    categories: Iterable[dict],
    indicators: Iterable[dict],
    acting_user,
    source: str = "",
) -> dict[str, int]:
    """The same import from rows given as {column key: cell value} (row 2 is the first)."""
    year = _require_office_of(acting_user, year)
    _check_catalogue_open(year)
    return _replace_catalogue(
        year,
        [SheetRow(n, dict(r)) for n, r in enumerate(categories, start=2)],
        [SheetRow(n, dict(r)) for n, r in enumerate(indicators, start=2)],
        acting_user,
        source=source,
    )


@transaction.atomic
def _replace_catalogue(year, category_rows, indicator_rows, acting_user, *, source: str):
    year = AssessmentYear.objects.select_for_update().get(pk=year.pk)
    _check_catalogue_open(year)  # again, under the lock: the year may have started meanwhile
    categories, indicators = _parse_catalogue(year, category_rows, indicator_rows)
    before = {
        "categories": Category.objects.filter(year=year).count(),
        "indicators": Indicator.objects.filter(year=year).count(),
    }
    Indicator.objects.filter(year=year).delete()
    Category.objects.filter(year=year).delete()
    created: dict[str, Category] = {}
    for order, item in enumerate(categories):
        created[item["code"]] = Category.objects.create(year=year, sort_order=order, **item)
    Indicator.objects.bulk_create(
        Indicator(
            year=year,
            sort_order=order,
            required_reports=SCHEDULE_REPORTS[item["schedule"]],
            **{**item, "category": created[item["category"]]},
        )
        for order, item in enumerate(indicators)
    )
    counts = {"categories": len(categories), "indicators": len(indicators)}
    audit_record(
        event_type="appraisal.catalogue_imported",
        actor=acting_user,
        subject=year,
        sub_district=year.sub_district_id,
        before=before,
        after={**counts, "source": source},
        ip=current_ip(),
    )
    return counts


def _seen_before(messages, sheet: str, row, header: str, code: str, rows_by_code: dict) -> bool:
    """Codes are unique per sheet, whatever their case: report a second one, else remember it."""
    first = rows_by_code.get(code.lower())
    if first is None:
        rows_by_code[code.lower()] = row
        return False
    messages.cell(
        sheet,
        row.number,
        header,
        _("the code “%(code)s” appears twice (first in row %(row)s).")
        % {"code": code, "row": first.number},
    )
    return True


def _parse_catalogue(year, category_rows, indicator_rows) -> tuple[list[dict], list[dict]]:
    """Every row checked; CatalogueErrors lists all problems, else the rows to write."""
    messages = _Messages()
    cc = _columns(CATEGORY_COLUMNS)
    ic = _columns(INDICATOR_COLUMNS)
    units = list(
        Unit.objects.filter(
            sub_district_id=year.sub_district_id,
            is_active=True,
            kind__in=[UnitKind.DEPARTMENT, UnitKind.OFFICE],
        )
    )
    # By name or short name; a full name wins over another unit's short name.
    leads = {u.short_name: u for u in units if u.short_name} | {u.name: u for u in units}

    categories: list[dict] = []
    category_rows_by_code: dict[str, SheetRow] = {}  # lower-case code → row
    category_max: dict[str, Decimal | None] = {}  # canonical code → max (None when invalid)
    canonical: dict[str, str] = {}  # lower-case code → code as written
    sheet = SHEET_CATEGORIES
    if not category_rows:
        messages.add(_("Sheet %(sheet)s has no rows to import.") % {"sheet": sheet})
    for row in category_rows:
        code = _get(messages, sheet, row, cc["code"], _code)
        name = _get(messages, sheet, row, cc["name"], _text, max_length=100)
        department = _get(messages, sheet, row, cc["department"], _text, max_length=100)
        max_points = _get(messages, sheet, row, cc["max_points"], _points)
        lead = None
        if department is not INVALID:
            lead = leads.get(department)
            if lead is None:
                messages.cell(
                    sheet,
                    row.number,
                    cc["department"].header,
                    _(
                        "“%(value)s” is neither a lead department nor the Office of this "
                        "sub-district."
                    )
                    % {"value": department},
                )
        if code is not INVALID:
            if _seen_before(messages, sheet, row, cc["code"].header, code, category_rows_by_code):
                continue
            canonical[code.lower()] = code
            category_max[code] = None if max_points is INVALID else max_points
        if INVALID in (code, name, department, max_points) or lead is None:
            continue
        categories.append(
            {
                "code": code,
                "name": name,
                "department": lead.name,
                "lead_unit": lead,
                "max_points": max_points,
            }
        )
    maxima = list(category_max.values())
    if category_rows and maxima and None not in maxima:
        total = sum(maxima, Decimal(0))
        if total != 100:
            messages.add(
                _("Sheet %(sheet)s: the category maxima add up to %(total)s, not 100 (Art. 4).")
                % {"sheet": sheet, "total": total}
            )

    indicators: list[dict] = []
    indicator_rows_by_code: dict[str, SheetRow] = {}
    sums: dict[str, Decimal] = {}
    sheet = SHEET_INDICATORS
    if not indicator_rows:
        messages.add(_("Sheet %(sheet)s has no rows to import.") % {"sheet": sheet})
    for row in indicator_rows:
        code = _get(messages, sheet, row, ic["code"], _code)
        category_code = _get(messages, sheet, row, ic["category"], _code)
        name = _get(messages, sheet, row, ic["name"], _text, max_length=200)
        description = _get(
            messages,
            sheet,
            row,
            ic["description"],
            _text,
            required=False,
            max_length=MAX_DESCRIPTION,
        )
        max_points = _get(messages, sheet, row, ic["max_points"], _points)
        evidence = _get(messages, sheet, row, ic["evidence_required"], _yes_no)
        schedule = _get(messages, sheet, row, ic["schedule"], _schedule)
        due_date = _get(messages, sheet, row, ic["due_date"], _date)
        if code is not INVALID and _seen_before(
            messages, sheet, row, ic["code"].header, code, indicator_rows_by_code
        ):
            code = INVALID
        if category_code is not INVALID:
            if category_code.lower() in canonical:
                category_code = canonical[category_code.lower()]
            else:
                messages.cell(
                    sheet,
                    row.number,
                    ic["category"].header,
                    _("no category has the code “%(code)s” in sheet %(sheet)s.")
                    % {"code": category_code, "sheet": SHEET_CATEGORIES},
                )
                category_code = INVALID
        if schedule is not INVALID and due_date is not INVALID:
            problem = None
            if schedule == Schedule.ONCE and due_date is None:
                problem = _("a one-off report needs its due date.")
            elif schedule == Schedule.ONCE and due_date.year != year.year:
                problem = _("the due date %(date)s is not in %(year)s.") % {
                    "date": due_date.isoformat(),
                    "year": year.year,
                }
            elif schedule != Schedule.ONCE and due_date is not None:
                problem = _(
                    "only a one-off report (一次) has a due date; the others are due at the end "
                    "of their period: leave it blank."
                )
            if problem:
                messages.cell(sheet, row.number, ic["due_date"].header, problem)
                due_date = INVALID
        if category_code is not INVALID and max_points is not INVALID:
            limit = category_max.get(category_code)
            if limit is not None and max_points > limit:
                messages.cell(
                    sheet,
                    row.number,
                    ic["max_points"].header,
                    _("%(points)s is more than the maximum of category %(code)s (%(max)s).")
                    % {"points": max_points, "code": category_code, "max": limit},
                )
                max_points = INVALID
            else:
                sums[category_code] = sums.get(category_code, Decimal(0)) + max_points
        fields = (code, category_code, name, description, max_points, evidence, schedule, due_date)
        if INVALID in fields:
            continue
        indicators.append(
            {
                "code": code,
                "category": category_code,
                "name": name,
                "description": description,
                "max_points": max_points,
                "evidence_required": evidence,
                "schedule": schedule,
                "due_date": due_date,
            }
        )
    for code, total in sums.items():
        limit = category_max.get(code)
        if limit is not None and total > limit:
            messages.cell(
                SHEET_CATEGORIES,
                category_rows_by_code[code.lower()].number,
                cc["max_points"].header,
                _("the indicators of %(code)s add up to %(total)s, more than %(max)s.")
                % {"code": code, "total": total, "max": limit},
            )
    messages.raise_if_any(CatalogueErrors)
    return categories, indicators


# ---------------------------------------------------------------- comprehensive evaluation


def import_comprehensive(year: AssessmentYear, fileobj, acting_user) -> dict[str, int]:
    """Read the comprehensive evaluation workbook and save it (services.comprehensive_save), all or
    nothing. A blank score removes the community's score; communities not in the file keep theirs.
    """
    year = _require_office_of(acting_user, year)
    services.guard_open(year)
    assessed = list(AssessedUnit.objects.filter(year=year).select_related("unit"))
    if not assessed:
        raise Conflict(
            _("%(year)s has no assessed communities yet: they are fixed when the year starts.")
            % {"year": year.year}
        )
    sheets = _read_workbook(
        fileobj, {SHEET_COMPREHENSIVE: COMPREHENSIVE_COLUMNS}, ComprehensiveErrors
    )
    rows = sheets[SHEET_COMPREHENSIVE]
    by_code = {a.code.lower(): a for a in assessed}
    columns = _columns(COMPREHENSIVE_COLUMNS)
    messages = _Messages()
    sheet = SHEET_COMPREHENSIVE
    if not rows:
        messages.add(_("Sheet %(sheet)s has no rows to import.") % {"sheet": sheet})
    seen: dict[str, int] = {}
    parsed: list[dict] = []
    for row in rows:
        code = _get(messages, sheet, row, columns["code"], _text, max_length=40)
        name = _get(messages, sheet, row, columns["name"], _text, required=False, max_length=100)
        score = _get(
            messages, sheet, row, columns["score"], _points, high=Decimal(100), required=False
        )
        advanced = _get(messages, sheet, row, columns["advanced"], _yes_no)
        unit = None
        if code is not INVALID:
            unit = by_code.get(code.lower())
            if unit is None:
                messages.cell(
                    sheet,
                    row.number,
                    columns["code"].header,
                    _("no community with the code “%(code)s” is assessed in %(year)s.")
                    % {"code": code, "year": year.year},
                )
            elif unit.code.lower() in seen:
                messages.cell(
                    sheet,
                    row.number,
                    columns["code"].header,
                    _("the code “%(code)s” appears twice (first in row %(row)s).")
                    % {"code": code, "row": seen[unit.code.lower()]},
                )
                unit = None
            else:
                seen[unit.code.lower()] = row.number
        if (
            unit is not None
            and name not in (INVALID, "")
            and name not in {unit.name, unit.unit.name, unit.unit.short_name}
        ):
            messages.cell(
                sheet,
                row.number,
                columns["name"].header,
                _("“%(name)s” is not the community of code %(code)s (%(expected)s).")
                % {"name": name, "code": unit.code, "expected": unit.name},
            )
            continue
        if score is None and advanced is True:
            messages.cell(
                sheet,
                row.number,
                columns["score"].header,
                _("a community marked 先进 needs its score."),
            )
            continue
        if unit is None or INVALID in (score, advanced):
            continue
        parsed.append(
            {
                "unit_id": unit.unit_id,
                "score": "" if score is None else str(score),
                "advanced": advanced,
            }
        )
    messages.raise_if_any(ComprehensiveErrors)
    changed = services.comprehensive_save(year_id=year.pk, acting_user=acting_user, rows=parsed)
    return {"rows": len(parsed), "changed": changed}


# ---------------------------------------------------------------- writing workbooks


def _new_workbook():
    return spreadsheets.new_workbook()


def _header(sheet, columns: Sequence[Column]) -> None:
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    spreadsheets.append(sheet, [c.header for c in columns])
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="FDE9D9")
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"


def _put(sheet, row: int, column: int, value: Any) -> None:
    """Text stays text, whatever it starts with (no formula from a name such as “=…”)."""
    if value is None:
        sheet.cell(row=row, column=column)
        return
    cell = spreadsheets.put(sheet, row, column, value)
    if isinstance(value, Decimal):
        cell.number_format = "0.00"
    elif isinstance(value, dt.date):
        cell.number_format = "yyyy-mm-dd"


def _rows(sheet, columns: Sequence[Column], rows: Iterable[dict]) -> None:
    for number, row in enumerate(rows, start=2):
        for index, column in enumerate(columns, start=1):
            _put(sheet, number, index, row.get(column.key))


def _choices(sheet, columns: Sequence[Column], key: str, labels: Sequence[str]) -> None:
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    index = next(i for i, c in enumerate(columns, start=1) if c.key == key)
    letter = get_column_letter(index)
    validation = DataValidation(
        type="list", formula1='"' + ",".join(labels) + '"', allow_blank=True
    )
    validation.add(f"{letter}2:{letter}{MAX_ROWS + 1}")
    sheet.add_data_validation(validation)


def _notes(workbook, title_lines: Sequence[str], sheets: Sequence[tuple[str, Sequence[Column]]]):
    from openpyxl.styles import Alignment, Font

    sheet = workbook.create_sheet(SHEET_NOTES)
    for line in title_lines:
        spreadsheets.append(sheet, [line])
    sheet.append([])
    heading = sheet.max_row + 1
    spreadsheets.append(sheet, ["工作表 Sheet", "列 Column", "填写说明", "Notes", "示例 Example"])
    for cell in sheet[heading]:
        cell.font = Font(bold=True)
    for name, columns in sheets:
        for column in columns:
            spreadsheets.append(
                sheet, [name, column.header, column.note_zh, column.note_en, column.example]
            )
            for cell in sheet[sheet.max_row]:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    for letter, width in zip("ABCDE", (14, 14, 52, 52, 22), strict=True):
        sheet.column_dimensions[letter].width = width


def _save(workbook) -> bytes:
    return spreadsheets.to_bytes(workbook)


def catalogue_workbook(year: AssessmentYear | None) -> bytes:
    """The year's catalogue as a workbook that `import_catalogue` reads back unchanged; with
    year=None the empty template (header rows only; the 说明 sheet gives an example per column)."""
    workbook = _new_workbook()
    categories = workbook.create_sheet(SHEET_CATEGORIES)
    _header(categories, CATEGORY_COLUMNS)
    indicators = workbook.create_sheet(SHEET_INDICATORS)
    _header(indicators, INDICATOR_COLUMNS)
    if year is not None:
        cats = list(
            Category.objects.filter(year=year)
            .select_related("lead_unit")
            .order_by("sort_order", "code")
        )
        _rows(
            categories,
            CATEGORY_COLUMNS,
            (
                {
                    "code": c.code,
                    "name": c.name,
                    "department": c.lead_unit.name if c.lead_unit else c.department,
                    "max_points": c.max_points,
                }
                for c in cats
            ),
        )
        _rows(
            indicators,
            INDICATOR_COLUMNS,
            (
                {
                    "code": i.code,
                    "category": i.category.code,
                    "name": i.name,
                    "description": i.description,
                    "max_points": i.max_points,
                    "evidence_required": YES if i.evidence_required else NO,
                    "schedule": SCHEDULE_LABELS.get(i.schedule, CUSTOM_LABEL),
                    "due_date": i.due_date if i.schedule == Schedule.ONCE else None,
                }
                for i in Indicator.objects.filter(year=year)
                .select_related("category")
                .order_by("category__sort_order", "sort_order", "code")
            ),
        )
    _choices(indicators, INDICATOR_COLUMNS, "evidence_required", (YES, NO))
    _choices(indicators, INDICATOR_COLUMNS, "schedule", tuple(SCHEDULE_LABELS.values()))
    title = (
        f"{year.year} 年度考核指标目录 / Indicator catalogue {year.year}"
        if year is not None
        else "考核指标目录模板 / Indicator catalogue template"
    )
    _notes(
        workbook,
        [
            title,
            "导入将整体替换该年度的类别和指标；任一行有误则不导入任何内容。",
            "An import replaces the year's categories and indicators; nothing is imported when "
            "any row is wrong.",
            "单元格请填写数值本身，不要使用公式。 Enter values, not formulas.",
        ],
        [(SHEET_CATEGORIES, CATEGORY_COLUMNS), (SHEET_INDICATORS, INDICATOR_COLUMNS)],
    )
    return _save(workbook)


def comprehensive_workbook(year: AssessmentYear) -> bytes:
    """One row per assessed community with its current comprehensive score and “advanced”: fill in
    and import with `import_comprehensive`. Headers only while the year is being planned."""
    workbook = _new_workbook()
    sheet = workbook.create_sheet(SHEET_COMPREHENSIVE)
    _header(sheet, COMPREHENSIVE_COLUMNS)
    current = {c.unit_id: c for c in Comprehensive.objects.filter(year=year)}
    rows = []
    for assessed in AssessedUnit.objects.filter(year=year).order_by("code"):
        entry = current.get(assessed.unit_id)
        rows.append(
            {
                "code": assessed.code,
                "name": assessed.name,
                "score": entry.score if entry else None,
                "advanced": YES if entry and entry.advanced else NO,
            }
        )
    _rows(sheet, COMPREHENSIVE_COLUMNS, rows)
    _choices(sheet, COMPREHENSIVE_COLUMNS, "advanced", (YES, NO))
    _notes(
        workbook,
        [
            f"{year.year} 年度社区综合考评得分（第十七条） / Comprehensive evaluation {year.year}",
            "任一行有误则不导入任何内容；文件中未列出的社区保持原值。",
            "Nothing is imported when any row is wrong; communities not listed keep their values.",
            f"导出时间 Exported: {timezone.localtime():%Y-%m-%d %H:%M}",
        ],
        [(SHEET_COMPREHENSIVE, COMPREHENSIVE_COLUMNS)],
    )
    return _save(workbook)
