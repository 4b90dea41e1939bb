"""The catalogue as the Office approves it (Art. 5): a fingerprint of its categories and
indicators, so that an approval names the catalogue the page showed."""

from __future__ import annotations

import hashlib

from ..models import AssessmentYear, Category, Indicator

CATEGORY_FIELDS = ("code", "name", "department", "lead_unit_id", "max_points")
INDICATOR_FIELDS = (
    "code",
    "category_id",
    "name",
    "description",
    "max_points",
    "evidence_required",
    "schedule",
    "due_date",
)


def catalogue_digest(year: AssessmentYear) -> str:
    """Changes whenever a category or an indicator of the year is added, changed or deleted."""
    rows = [
        repr(row)
        for row in Category.objects.filter(year=year).order_by("code").values_list(*CATEGORY_FIELDS)
    ]
    rows.append("|")
    rows += [
        repr(row)
        for row in Indicator.objects.filter(year=year)
        .order_by("code")
        .values_list(*INDICATOR_FIELDS)
    ]
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()[:32]
