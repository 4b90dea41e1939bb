"""Write services of the assessment year, by subdomain (one module each). One transaction each;
one audit row per change. Every write checks the year's inputs are open — not yet decided, or
decided with a correction the Leading Group approved still open (Art. 16) — the user's right (403)
and the input (ValidationError with a Chinese message, shown on the form, never a 500).

Callers outside appraisal (workflows, scripts, tests) use these names; inside appraisal the
modules import from the submodules."""

from ..kinds import (
    WI_CLAIM_DECIDE,
    WI_CLAIM_REVIEW,
    WI_CORRECTION,
    WI_FRAUD_DECIDE,
    WI_REPORT,
    WI_REPUBLICATION,
)
from .catalogue import (
    CATALOGUE_FIELDS,
    catalogue_approve,
    catalogue_import_check,
    catalogue_replace,
    category_import_check,
    category_indicators_replace,
    indicator_delete,
    indicator_save,
)
from .claims import claim_decide, claim_declare, claim_review
from .common import MAX_REASON, MAX_TEXT, clean_text, guard_open, parse_points, writable
from .corrections import correction_close, correction_decide, correction_request
from .fraud import fraud_decide, fraud_record
from .inputs import (
    comprehensive_import_check,
    comprehensive_save,
    full_marks_exception_record,
    inputs_save,
    votes_save,
)
from .reports import open_report_items, periods, report_amend, report_submit, start_year
from .scoring import (
    CellInput,
    adjustment_add,
    adjustment_withdraw,
    scores_save,
    scoring_grid_save,
    spot_check_add,
    spot_check_notice_raise,
    verified_scores_save,
)
from .year import (
    DEFAULT_CATEGORIES,
    LIST_SETTINGS,
    SETTING_FIELDS,
    YEAR_EVENTS,
    YEAR_TRANSITIONS,
    check_settings,
    next_status,
    settings_messages,
    year_advance,
    year_close,
    year_create,
    year_decide,
    year_open_year_end,
    year_publish,
    year_start,
    year_update_settings,
)
from .year_import import import_bundle

__all__ = [
    "CATALOGUE_FIELDS",
    "DEFAULT_CATEGORIES",
    "LIST_SETTINGS",
    "MAX_REASON",
    "MAX_TEXT",
    "SETTING_FIELDS",
    "WI_CLAIM_DECIDE",
    "WI_CLAIM_REVIEW",
    "WI_CORRECTION",
    "WI_FRAUD_DECIDE",
    "WI_REPORT",
    "WI_REPUBLICATION",
    "YEAR_EVENTS",
    "YEAR_TRANSITIONS",
    "CellInput",
    "adjustment_add",
    "adjustment_withdraw",
    "catalogue_approve",
    "catalogue_import_check",
    "catalogue_replace",
    "category_import_check",
    "category_indicators_replace",
    "check_settings",
    "claim_decide",
    "claim_declare",
    "claim_review",
    "clean_text",
    "comprehensive_import_check",
    "comprehensive_save",
    "correction_close",
    "correction_decide",
    "correction_request",
    "fraud_decide",
    "fraud_record",
    "full_marks_exception_record",
    "guard_open",
    "import_bundle",
    "indicator_delete",
    "indicator_save",
    "inputs_save",
    "next_status",
    "open_report_items",
    "parse_points",
    "periods",
    "report_amend",
    "report_submit",
    "scores_save",
    "scoring_grid_save",
    "settings_messages",
    "spot_check_add",
    "spot_check_notice_raise",
    "start_year",
    "verified_scores_save",
    "votes_save",
    "writable",
    "year_advance",
    "year_close",
    "year_create",
    "year_decide",
    "year_open_year_end",
    "year_publish",
    "year_start",
    "year_update_settings",
]
