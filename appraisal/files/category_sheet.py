"""A lead department's sheet of the catalogue (Art. 5): the indicators of the categories it
leads, exported and imported back in the catalogue's workbook format (files.catalogue).

The import reads sheet 指标 only (a department does not change the categories, Art. 4) and
replaces the indicators of the department's own categories, all or nothing: a row of another
department's category is refused, naming the row and the category's department.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from core import spreadsheets

from ..domain import catalogue as catalogue_rules
from ..models import AssessmentYear, Category
from ..services.catalogue import category_import_check, category_indicators_replace
from .catalogue import (
    INDICATOR_COLUMNS,
    MAX_FILE_BYTES,
    MAX_MESSAGES,
    MAX_ROWS,
    SHEET_INDICATORS,
    CatalogueErrors,
    catalogue_workbook,
    parse_indicator_rows,
)


def category_workbook(year: AssessmentYear, categories: list[Category]) -> bytes:
    """The catalogue's workbook with only `categories` and their indicators."""
    codes = "、".join(c.code for c in categories)
    return catalogue_workbook(
        year,
        only=categories,
        notes=[
            f"{year.year} 年度考核指标（{codes}） / Indicators of {codes}, {year.year}",
            f"导入只读取“指标”表，整体替换 {codes} 的指标；其他类别的行不予导入；任一行有误则不导入"
            "任何内容。",
            f"An import reads sheet 指标 only and replaces the indicators of {codes}; rows of "
            "other categories are refused; nothing is imported when any row is wrong.",
            "单元格请填写数值本身，不要使用公式。 Enter values, not formulas.",
        ],
    )


def import_category_sheet(year: AssessmentYear, fileobj, acting_user) -> dict[str, int]:
    """Replace the indicators of the categories the user drafts with the rows of sheet 指标."""
    # The user's right and the year's state first: a file is read only for whom may import it.
    year, own = category_import_check(year_id=year.pk, acting_user=acting_user)
    sheets = spreadsheets.read_sheets(
        fileobj,
        {SHEET_INDICATORS: INDICATOR_COLUMNS},
        CatalogueErrors,
        max_file_bytes=MAX_FILE_BYTES,
        max_rows=MAX_ROWS,
        max_messages=MAX_MESSAGES,
    )
    messages = spreadsheets.Messages(limit=MAX_MESSAGES)
    mine = ", ".join(c.code for c in own)
    foreign = {
        c.code.lower(): _(
            "“%(code)s” is a category of %(department)s: you may import only the indicators of "
            "%(mine)s."
        )
        % {"code": c.code, "department": c.department or c.name, "mine": mine}
        for c in Category.objects.filter(year=year).exclude(pk__in=[c.pk for c in own])
    }
    indicators, sums = parse_indicator_rows(
        year,
        messages,
        sheets[SHEET_INDICATORS],
        {c.code.lower(): c.code for c in own},
        {c.code: c.max_points for c in own},
        foreign=foreign,
    )
    limits = {c.code: c.max_points for c in own}
    for code, total in sums.items():
        if catalogue_rules.over_category(total, limits[code]):
            messages.add(
                _(
                    "Sheet %(sheet)s: the indicators of %(code)s add up to %(total)s, more than "
                    "%(max)s."
                )
                % {"sheet": SHEET_INDICATORS, "code": code, "total": total, "max": limits[code]}
            )
    messages.raise_if_any(CatalogueErrors)
    return category_indicators_replace(
        year_id=year.pk,
        acting_user=acting_user,
        indicators=indicators,
        source=str(getattr(fileobj, "name", "") or "")[:200],
    )
