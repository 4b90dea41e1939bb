"""The comprehensive evaluation as a workbook (Art. 17): one row per assessed community with its
score and “advanced”, exported, filled in and imported back.

- 综合考评 — 单位代码, 单位名称, 综合考评得分, 先进 (是/否);
- 说明 — what each column means, in Chinese and English; never read by the import.

Bytes → typed rows → a service: the one reader (core.spreadsheets) finds the columns by header
and refuses formulas; every row is checked and every problem reported at once, naming the sheet,
the row and the column; comprehensive_save checks the user's right and the year's
state, writes and audits. Nothing is written when any row is wrong.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from core import spreadsheets
from core import spreadsheets as ss
from core.spreadsheets import INVALID, Column, Messages, SheetErrors, by_key, get

from ..models import AssessedUnit, AssessmentYear, Comprehensive
from ..services.inputs import comprehensive_import_check, comprehensive_save

MAX_ROWS = 5000  # data rows per sheet; a sub-district has a few dozen communities
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_MESSAGES = spreadsheets.MAX_MESSAGES
SHEET_COMPREHENSIVE = "综合考评"
YES, NO = spreadsheets.YES, spreadsheets.NO

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


class ComprehensiveErrors(SheetErrors):
    pass


def import_comprehensive(year: AssessmentYear, fileobj, acting_user) -> dict[str, int]:
    """Read the comprehensive evaluation workbook and save it (comprehensive_save), all or
    nothing. A blank score removes the community's score; communities not in the file keep theirs.
    """
    # The user's right and the year's state first: a file is read only for whom may import it.
    year, assessed = comprehensive_import_check(year_id=year.pk, acting_user=acting_user)
    sheets = spreadsheets.read_sheets(
        fileobj,
        {SHEET_COMPREHENSIVE: COMPREHENSIVE_COLUMNS},
        ComprehensiveErrors,
        max_file_bytes=MAX_FILE_BYTES,
        max_rows=MAX_ROWS,
        max_messages=MAX_MESSAGES,
    )
    rows = sheets[SHEET_COMPREHENSIVE]
    by_code = {a.code.lower(): a for a in assessed}
    columns = by_key(COMPREHENSIVE_COLUMNS)
    messages = Messages(limit=MAX_MESSAGES)
    sheet = SHEET_COMPREHENSIVE
    if not rows:
        messages.add(_("Sheet %(sheet)s has no rows to import.") % {"sheet": sheet})
    seen: dict[str, int] = {}
    parsed: list[dict] = []
    for row in rows:
        code = get(messages, sheet, row, columns["code"], ss.text, max_length=40)
        name = get(messages, sheet, row, columns["name"], ss.text, required=False, max_length=100)
        score = get(
            messages, sheet, row, columns["score"], ss.points, high=Decimal(100), required=False
        )
        advanced = get(messages, sheet, row, columns["advanced"], ss.yes_no)
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
    changed = comprehensive_save(year_id=year.pk, acting_user=acting_user, rows=parsed)
    return {"rows": len(parsed), "changed": changed}


# ---------------------------------------------------------------- the workbook


def comprehensive_workbook(year: AssessmentYear) -> bytes:
    """One row per assessed community with its current comprehensive score and “advanced”: fill in
    and import with `import_comprehensive`. Headers only while the year is being planned."""
    workbook = spreadsheets.new_workbook()
    sheet = workbook.create_sheet(SHEET_COMPREHENSIVE)
    spreadsheets.header(sheet, COMPREHENSIVE_COLUMNS)
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
    spreadsheets.write_rows(sheet, COMPREHENSIVE_COLUMNS, rows)
    spreadsheets.choices(sheet, COMPREHENSIVE_COLUMNS, "advanced", (YES, NO), rows=MAX_ROWS)
    spreadsheets.notes(
        workbook,
        [
            f"{year.year} 年度社区综合考评得分（第十七条） / Comprehensive evaluation {year.year}",
            "任一行有误则不导入任何内容；文件中未列出的社区保持原值。",
            "Nothing is imported when any row is wrong; communities not listed keep their values.",
            f"导出时间 Exported: {timezone.localtime():%Y-%m-%d %H:%M}",
        ],
        [(SHEET_COMPREHENSIVE, COMPREHENSIVE_COLUMNS)],
    )
    return spreadsheets.to_bytes(workbook)
