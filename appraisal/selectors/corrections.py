"""Reads of the corrections of decided results (Art. 16), through the access policy."""

from __future__ import annotations

from core import access

from ..models import AssessmentYear, Correction


def latest_correction(user, year: AssessmentYear) -> Correction | None:
    """The year's most recent correction the user may see (the one the year page acts on)."""
    return (
        access.visible(user, Correction.objects.filter(year=year)).order_by("-requested_at").first()
    )
