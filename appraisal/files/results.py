"""The results workbook (scoring.md §7): the ranking with every column, the settings used and
every exclusion, from the same rows as the ranking page (results.rows). Written through the one
spreadsheet writer (core.spreadsheets): text stays text."""

from __future__ import annotations

from django.utils.translation import gettext as _

from core import spreadsheets

from ..results import audit
from ..results.compute import Computed
from ..results.rows import (
    RankingRow,
    exclusion_headers,
    exclusion_values,
    local_time,
    ranking_headers,
    ranking_values,
    settings_rows,
)


def ranking_xlsx(
    computed: Computed,
    rows: list[RankingRow],
    *,
    claim_titles: bool,
    fraud_reasons: bool = False,
    settings_data: dict | None = None,
) -> bytes:
    """The ranking with every column, the settings used (`settings_data`: those stored with a
    published version), every exclusion, then the figures of the drill-down (results.audit)."""
    book = spreadsheets.new_workbook(streaming=True)
    ranking = book.create_sheet(_("Ranking"))
    spreadsheets.append(ranking, ranking_headers(computed))
    for row in rows:
        spreadsheets.append(ranking, ranking_values(row))

    settings = book.create_sheet(_("Settings"))
    spreadsheets.append(settings, [_("Setting"), _("Value")])
    spreadsheets.append(settings, [_("Year"), computed.year.year])
    spreadsheets.append(settings, [_("Results as of"), local_time(computed.results.as_of)])
    spreadsheets.append(
        settings, [_("Can be finalised"), _("Yes") if computed.results.can_finalise else _("No")]
    )
    for label, value in settings_rows(computed.year, settings_data):
        spreadsheets.append(settings, [label, value])

    exclusions = book.create_sheet(_("Exclusions"))
    spreadsheets.append(exclusions, exclusion_headers())
    for values in exclusion_values(computed, rows, claim_titles=claim_titles):
        spreadsheets.append(exclusions, values)
    for name, headers, lines in audit.sheets(
        computed, rows, claim_titles=claim_titles, fraud_reasons=fraud_reasons
    ):
        sheet = book.create_sheet(name)
        spreadsheets.append(sheet, headers)
        for values in lines:
            spreadsheets.append(sheet, values)
    return spreadsheets.to_bytes(book)
