"""Reads of the scoring pages: the categories a user writes additions for, the assessed units."""

from __future__ import annotations

from .. import policies
from ..models import AssessedUnit, Category


def writer_categories(user, year) -> list[Category]:
    cats = Category.objects.filter(year=year).order_by("sort_order")
    if policies.is_office(user):
        return list(cats)
    return [c for c in cats if policies.can_score(user, c)]


def unit_choices(year) -> list[tuple[int, str]]:
    return list(AssessedUnit.objects.filter(year=year).values_list("unit_id", "name"))
