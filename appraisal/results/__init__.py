"""The year's results: computed from the inputs (compute), as the documented JSON (document), as
rows for the pages and the export (rows), and as published versions (versions, publication)."""

from .compute import (
    SHANGHAI,
    Computed,
    Overrides,
    claim_input,
    claim_result,
    compute,
    results_as_of,
    scoring_settings,
)
from .document import CLAIM_REASON, dec, iso, results_document

__all__ = [
    "CLAIM_REASON",
    "SHANGHAI",
    "Computed",
    "Overrides",
    "claim_input",
    "claim_result",
    "compute",
    "dec",
    "iso",
    "results_as_of",
    "results_document",
    "scoring_settings",
]
