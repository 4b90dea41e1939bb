"""The comprehensive evaluation (Art. 17) and the satisfaction tallies (scoring.md §4) as
workbooks: one row per assessed community, exported, filled in and imported back.

- 综合考评 — 单位代码, 单位名称, 综合考评得分, 先进 (是/否);
- 满意度评价 — 单位代码, 单位名称, then the ballots of the debriefing appraisal (述职评议) and
  of the democratic evaluation (民主测评): 满意, 基本满意, 不满意 each;
- 说明 — what each column means, in Chinese and English; never read by the import.

Bytes → typed rows → a service: the one reader (core.spreadsheets) finds the columns by header
and refuses formulas; every row is checked and every problem reported at once, naming the sheet,
the row and the column; comprehensive_save and votes_save check the user's right and the year's
state, write (one transaction) and audit. Nothing is written when any row is wrong.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.translation import gettext as _

from core import spreadsheets
from core import spreadsheets as ss
from core.spreadsheets import INVALID, Column, Messages, SheetErrors, by_key, get

from ..domain.model import MAX_BALLOTS
from ..models import AssessedUnit, AssessmentYear, Comprehensive, Vote, VoteKind
from ..services.inputs import comprehensive_import_check, comprehensive_save, votes_save

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


SHEET_VOTES = "满意度评价"
VOTE_HEADERS = {VoteKind.DEBRIEFING: "述职评议", VoteKind.DEMOCRATIC: "民主测评"}
VOTE_NAMES_EN = {
    VoteKind.DEBRIEFING: "debriefing appraisal",
    VoteKind.DEMOCRATIC: "democratic evaluation",
}
BALLOTS = (
    ("satisfied", "满意", "satisfied", "45"),
    ("basically", "基本满意", "basically satisfied", "5"),
    ("dissatisfied", "不满意", "dissatisfied", "0"),
)
VOTE_COLUMNS = (
    *COMPREHENSIVE_COLUMNS[:2],
    *(
        Column(
            f"{kind.value}-{key}",
            f"{VOTE_HEADERS[kind]}{zh}",
            f"{VOTE_HEADERS[kind]}中“{zh}”的票数：0 至 {MAX_BALLOTS:,} 的整数；空白视为 0",
            f"{VOTE_NAMES_EN[kind]} ballots “{en}”: a whole number from 0 to {MAX_BALLOTS:,}; "
            "blank is 0",
            example,
            12,
        )
        for kind in VoteKind
        for key, zh, en, example in BALLOTS
    ),
)


class VoteErrors(SheetErrors):
    pass


def ballots(value) -> int:
    """A count of ballots: a whole number from 0 to MAX_BALLOTS; a blank cell is 0."""
    value = ss.plain(value)
    if value is None or (isinstance(value, str) and not value.strip()):
        return 0
    if isinstance(value, bool | dt.date):
        raise ss.Bad(_("“%(value)s” is not a number.") % {"value": ss.text(value)})
    raw = str(value).strip()[:40]
    try:
        number = Decimal(raw)
    except (InvalidOperation, ValueError):
        raise ss.Bad(_("“%(value)s” is not a number.") % {"value": raw}) from None
    if not number.is_finite():
        raise ss.Bad(_("“%(value)s” is not a number.") % {"value": raw})
    if abs(number) >= ss.NUMBER_LIMIT:
        raise ss.Bad(_("“%(value)s” is too large a number.") % {"value": raw})
    if number != number.to_integral_value():
        raise ss.Bad(_("“%(value)s” is not a whole number.") % {"value": raw})
    if number < 0:
        raise ss.Bad(_("%(value)s is less than %(low)s.") % {"value": raw, "low": 0})
    if number > MAX_BALLOTS:
        raise ss.Bad(_("%(value)s is more than %(high)s.") % {"value": raw, "high": MAX_BALLOTS})
    return int(number)


def _read_inputs_sheet(year, fileobj, acting_user, sheet, sheet_columns, errors):
    """The start of an inputs import (votes, comprehensive scores): the user's right and the year's
    state first — a file is read only for whom may import it — then the one sheet, within the
    limits; an empty sheet is the first message."""
    year, assessed = comprehensive_import_check(year_id=year.pk, acting_user=acting_user)
    sheets = spreadsheets.read_sheets(
        fileobj,
        {sheet: sheet_columns},
        errors,
        max_file_bytes=MAX_FILE_BYTES,
        max_rows=MAX_ROWS,
        max_messages=MAX_MESSAGES,
    )
    rows = sheets[sheet]
    messages = Messages(limit=MAX_MESSAGES)
    if not rows:
        messages.add(_("Sheet %(sheet)s has no rows to import.") % {"sheet": sheet})
    by_code = {a.code.lower(): a for a in assessed}
    return year, sheet, rows, by_key(sheet_columns), by_code, messages


def import_votes(year: AssessmentYear, fileobj, acting_user) -> dict[str, int]:
    """Read the satisfaction tallies workbook and save it (votes_save), all or nothing: a wrong
    row refuses the whole sheet. Communities not in the file keep their tallies."""
    year, sheet, rows, columns, by_code, messages = _read_inputs_sheet(
        year, fileobj, acting_user, SHEET_VOTES, VOTE_COLUMNS, VoteErrors
    )
    seen: dict[str, int] = {}
    parsed: list[dict] = []
    for row in rows:
        unit, matches = _community(messages, sheet, row, columns, by_code, seen, year)
        counts = {
            (kind, key): get(messages, sheet, row, columns[f"{kind}-{key}"], ballots)
            for kind in VoteKind.values
            for key, *_rest in BALLOTS
        }
        if unit is None or not matches or INVALID in counts.values():
            continue
        for kind in VoteKind.values:
            parsed.append(
                {
                    "unit_id": unit.unit_id,
                    "kind": kind,
                    **{key: counts[(kind, key)] for key, *_rest in BALLOTS},
                }
            )
    messages.raise_if_any(VoteErrors)
    changed = votes_save(year_id=year.pk, acting_user=acting_user, rows=parsed)
    return {"rows": len(parsed) // len(VoteKind.values), "changed": changed}


def import_comprehensive(year: AssessmentYear, fileobj, acting_user) -> dict[str, int]:
    """Read the comprehensive evaluation workbook and save it (comprehensive_save), all or
    nothing. A blank score removes the community's score; communities not in the file keep theirs.
    """
    year, sheet, rows, columns, by_code, messages = _read_inputs_sheet(
        year, fileobj, acting_user, SHEET_COMPREHENSIVE, COMPREHENSIVE_COLUMNS, ComprehensiveErrors
    )
    seen: dict[str, int] = {}
    parsed: list[dict] = []
    for row in rows:
        unit, matches = _community(messages, sheet, row, columns, by_code, seen, year)
        score = get(
            messages, sheet, row, columns["score"], ss.points, high=Decimal(100), required=False
        )
        advanced = get(messages, sheet, row, columns["advanced"], ss.yes_no)
        if not matches:
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


def _community(messages, sheet, row, columns, by_code, seen, year):
    """The assessed community of a row by its code (each code once), and whether its optional
    name matches: (unit or None, matches). Every problem is recorded for its cell."""
    code = get(messages, sheet, row, columns["code"], ss.text, max_length=40)
    name = get(messages, sheet, row, columns["name"], ss.text, required=False, max_length=100)
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
        return unit, False
    return unit, True


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


def votes_workbook(year: AssessmentYear) -> bytes:
    """One row per assessed community with its current tallies of both votes: fill in and
    import with `import_votes`. Headers only while the year is being planned."""
    workbook = spreadsheets.new_workbook()
    sheet = workbook.create_sheet(SHEET_VOTES)
    spreadsheets.header(sheet, VOTE_COLUMNS)
    current = {(v.unit_id, v.kind): v for v in Vote.objects.filter(year=year)}
    rows = []
    for assessed in AssessedUnit.objects.filter(year=year).order_by("code"):
        row = {"code": assessed.code, "name": assessed.name}
        for kind in VoteKind.values:
            vote = current.get((assessed.unit_id, kind))
            for key, *_rest in BALLOTS:
                row[f"{kind}-{key}"] = getattr(vote, key) if vote else 0
        rows.append(row)
    spreadsheets.write_rows(sheet, VOTE_COLUMNS, rows)
    spreadsheets.notes(
        workbook,
        [
            f"{year.year} 年度满意度评价票数（述职评议、民主测评）",
            f"Satisfaction votes {year.year} (debriefing appraisal, democratic evaluation)",
            "任一行有误则不导入任何内容；文件中未列出的社区保持原值。",
            "Nothing is imported when any row is wrong; communities not listed keep their values.",
            f"导出时间 Exported: {timezone.localtime():%Y-%m-%d %H:%M}",
        ],
        [(SHEET_VOTES, VOTE_COLUMNS)],
    )
    return spreadsheets.to_bytes(workbook)
