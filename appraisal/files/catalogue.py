"""The indicator catalogue as a workbook (Art. 5, R5.2): exported, filled in and imported back.

The workbook layout is a file format, so its sheet names, headers and labels are fixed Chinese
strings (not translated: a file exported in one language must import in the other):

- 类别 — 代码, 名称, 牵头部门, 满分 (one row per category of Art. 4);
- 指标 — 代码, 类别代码, 名称, 指标说明, 满分, 需提供佐证 (是/否), 报送频次 (无/一次/年度/季度/
  月度), 截止日期 (one-off reports only);
- 说明 — what each column means, in Chinese and English; never read by the import.

Bytes → typed rows → a service: the one reader (core.spreadsheets) finds the columns by header
and refuses formulas; `parse_catalogue` checks every row with the catalogue's rules
(domain.catalogue) and reports every problem at once, naming the sheet, the row and the column
(`指标 row 7 “满分”: “abc” is not a number.`); catalogue_replace checks the user's
right and the year's state, writes and audits. Nothing is written when any row is wrong.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from core import spreadsheets
from core import spreadsheets as ss
from core.models import Unit, UnitKind
from core.spreadsheets import INVALID, Column, Messages, SheetErrors, SheetRow, by_key, get

from ..domain import catalogue as catalogue_rules
from ..models import AssessmentYear, Category, Indicator, Schedule
from ..services.catalogue import catalogue_import_check, catalogue_replace

MAX_ROWS = 5000  # data rows per sheet; a catalogue has a few dozen
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_MESSAGES = spreadsheets.MAX_MESSAGES
MAX_DESCRIPTION = 5000

SHEET_CATEGORIES = "类别"
SHEET_INDICATORS = "指标"
YES, NO = spreadsheets.YES, spreadsheets.NO
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


class CatalogueErrors(SheetErrors):
    pass


def _schedule(value: Any) -> str:
    text = ss.text(value, max_length=20)
    schedule = LABEL_SCHEDULES.get(text)
    if schedule is None:
        raise ss.Bad(
            _("“%(value)s” is not a reporting schedule: write one of %(labels)s.")
            % {"value": text, "labels": "、".join(SCHEDULE_LABELS.values())}
        )
    return schedule


# ---------------------------------------------------------------- import


def import_catalogue(year: AssessmentYear, fileobj, acting_user) -> dict[str, int]:
    """Replace the year's categories and indicators with those of the workbook, all or nothing."""
    # The user's right and the year's state first: a file is read only for whom may import it.
    year = catalogue_import_check(year_id=year.pk, acting_user=acting_user)
    sheets = spreadsheets.read_sheets(
        fileobj,
        {SHEET_CATEGORIES: CATEGORY_COLUMNS, SHEET_INDICATORS: INDICATOR_COLUMNS},
        CatalogueErrors,
        max_file_bytes=MAX_FILE_BYTES,
        max_rows=MAX_ROWS,
        max_messages=MAX_MESSAGES,
    )
    return _replace(
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
    year = catalogue_import_check(year_id=year.pk, acting_user=acting_user)
    return _replace(
        year,
        [SheetRow(n, dict(r)) for n, r in enumerate(categories, start=2)],
        [SheetRow(n, dict(r)) for n, r in enumerate(indicators, start=2)],
        acting_user,
        source=source,
    )


def _replace(year, category_rows, indicator_rows, acting_user, *, source: str) -> dict[str, int]:
    categories, indicators = parse_catalogue(year, category_rows, indicator_rows)
    return catalogue_replace(
        year_id=year.pk,
        acting_user=acting_user,
        categories=categories,
        indicators=indicators,
        source=source,
    )


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


def parse_catalogue(year, category_rows, indicator_rows) -> tuple[list[dict], list[dict]]:
    """Every row checked; CatalogueErrors lists all problems, else the typed rows to write
    (categories with their lead unit, indicators naming their category by code)."""
    messages = Messages(limit=MAX_MESSAGES)
    cc = by_key(CATEGORY_COLUMNS)
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
        code = get(messages, sheet, row, cc["code"], ss.code)
        name = get(messages, sheet, row, cc["name"], ss.text, max_length=100)
        department = get(messages, sheet, row, cc["department"], ss.text, max_length=100)
        max_points = get(messages, sheet, row, cc["max_points"], ss.points)
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
        total = catalogue_rules.maxima_total(maxima)
        if total is not None:
            messages.add(
                _("Sheet %(sheet)s: the category maxima add up to %(total)s, not 100 (Art. 4).")
                % {"sheet": sheet, "total": total}
            )

    indicators, sums = parse_indicator_rows(year, messages, indicator_rows, canonical, category_max)
    for code, total in sums.items():
        limit = category_max.get(code)
        if limit is not None and catalogue_rules.over_category(total, limit):
            messages.cell(
                SHEET_CATEGORIES,
                category_rows_by_code[code.lower()].number,
                cc["max_points"].header,
                _("the indicators of %(code)s add up to %(total)s, more than %(max)s.")
                % {"code": code, "total": total, "max": limit},
            )
    messages.raise_if_any(CatalogueErrors)
    return categories, indicators


def parse_indicator_rows(
    year, messages, indicator_rows, canonical, category_max, *, foreign=None
) -> tuple[list[dict], dict[str, Decimal]]:
    """The rows of sheet 指标 checked, their problems added to `messages`: the typed rows and
    each category's sum of maxima. `canonical` maps the lower-case codes of the categories rows
    may name to their code, `category_max` those codes to their maximum; `foreign` (lower-case
    code → message) refuses rows of categories that exist but are not the importer's."""
    ic = by_key(INDICATOR_COLUMNS)
    indicators: list[dict] = []
    indicator_rows_by_code: dict[str, SheetRow] = {}
    sums: dict[str, Decimal] = {}
    sheet = SHEET_INDICATORS
    if not indicator_rows:
        messages.add(_("Sheet %(sheet)s has no rows to import.") % {"sheet": sheet})
    for row in indicator_rows:
        code = get(messages, sheet, row, ic["code"], ss.code)
        category_code = get(messages, sheet, row, ic["category"], ss.code)
        name = get(messages, sheet, row, ic["name"], ss.text, max_length=200)
        description = get(
            messages,
            sheet,
            row,
            ic["description"],
            ss.text,
            required=False,
            max_length=MAX_DESCRIPTION,
        )
        max_points = get(messages, sheet, row, ic["max_points"], ss.points)
        evidence = get(messages, sheet, row, ic["evidence_required"], ss.yes_no)
        schedule = get(messages, sheet, row, ic["schedule"], _schedule)
        due_date = get(messages, sheet, row, ic["due_date"], ss.date)
        if code is not INVALID and _seen_before(
            messages, sheet, row, ic["code"].header, code, indicator_rows_by_code
        ):
            code = INVALID
        if category_code is not INVALID:
            if category_code.lower() in canonical:
                category_code = canonical[category_code.lower()]
            elif foreign and category_code.lower() in foreign:
                messages.cell(
                    sheet, row.number, ic["category"].header, foreign[category_code.lower()]
                )
                category_code = INVALID
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
            verdict = catalogue_rules.due_date_problem(schedule, due_date, year.year)
            problem = None
            if verdict == catalogue_rules.DUE_DATE_MISSING:
                problem = _("a one-off report needs its due date.")
            elif verdict == catalogue_rules.DUE_DATE_OUTSIDE:
                problem = _("the due date %(date)s is not in %(year)s.") % {
                    "date": due_date.isoformat(),
                    "year": year.year,
                }
            elif verdict == catalogue_rules.DUE_DATE_NOT_ONCE:
                problem = _(
                    "only a one-off report (一次) has a due date; the others are due at the end "
                    "of their period: leave it blank."
                )
            if problem:
                messages.cell(sheet, row.number, ic["due_date"].header, problem)
                due_date = INVALID
        if category_code is not INVALID and max_points is not INVALID:
            limit = category_max.get(category_code)
            if limit is not None and catalogue_rules.over_category(max_points, limit):
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
    return indicators, sums


# ---------------------------------------------------------------- the workbook


def catalogue_workbook(year: AssessmentYear | None, *, only=None, notes=None) -> bytes:
    """The year's catalogue as a workbook that `import_catalogue` reads back unchanged; with
    year=None the empty template (header rows only; the 说明 sheet gives an example per column).
    `only`: the categories to write (a department's sheet, files.category_sheet), with `notes`
    the lines of its 说明 sheet."""
    workbook = spreadsheets.new_workbook()
    categories = workbook.create_sheet(SHEET_CATEGORIES)
    spreadsheets.header(categories, CATEGORY_COLUMNS)
    indicators = workbook.create_sheet(SHEET_INDICATORS)
    spreadsheets.header(indicators, INDICATOR_COLUMNS)
    if year is not None:
        cats = list(
            Category.objects.filter(year=year)
            .select_related("lead_unit")
            .order_by("sort_order", "code")
        )
        if only is not None:
            cats = [c for c in cats if c in only]
        spreadsheets.write_rows(
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
        spreadsheets.write_rows(
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
                for i in Indicator.objects.filter(year=year, category__in=cats)
                .select_related("category")
                .order_by("category__sort_order", "sort_order", "code")
            ),
        )
    spreadsheets.choices(
        indicators, INDICATOR_COLUMNS, "evidence_required", (YES, NO), rows=MAX_ROWS
    )
    spreadsheets.choices(
        indicators, INDICATOR_COLUMNS, "schedule", tuple(SCHEDULE_LABELS.values()), rows=MAX_ROWS
    )
    title = (
        f"{year.year} 年度考核指标目录 / Indicator catalogue {year.year}"
        if year is not None
        else "考核指标目录模板 / Indicator catalogue template"
    )
    spreadsheets.notes(
        workbook,
        notes
        or [
            title,
            "导入将整体替换该年度的类别和指标；任一行有误则不导入任何内容。",
            "An import replaces the year's categories and indicators; nothing is imported when "
            "any row is wrong.",
            "单元格请填写数值本身，不要使用公式。 Enter values, not formulas.",
        ],
        [(SHEET_CATEGORIES, CATEGORY_COLUMNS), (SHEET_INDICATORS, INDICATOR_COLUMNS)],
    )
    return spreadsheets.to_bytes(workbook)
