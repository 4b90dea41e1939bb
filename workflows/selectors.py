"""Reads of the one 待办 (task inbox) and of the home pages.

Every case type — notices, periodic reports, bonus claims, fraud findings, corrections, and the
process tasks to come — puts its work into core.WorkItem with a registered kind (core.deadlines).
The inbox reads only that table: nothing here knows which app opened an item, so a new case type
appears in the inbox, its lights and its counts by registering its kind.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import models
from django.db.models import Count, F, OuterRef, Subquery, Window
from django.db.models.functions import Coalesce, RowNumber

from core import access, deadlines, workitems
from core.models import Role, WorkItem, WorkItemState

# The roles that receive work (an item is owned by a unit; whoever holds one of these roles in
# the unit sees it). Auditors read everything and act on nothing; administrators manage accounts.
WORK_ROLES = (
    Role.COMMUNITY_STAFF,
    Role.COMMUNITY_SECRETARY,
    Role.OFFICE_STAFF,
    Role.DEPT_ASSESSOR,
    Role.LEADER,
)


def work_units(user) -> set[int]:
    """The units whose open work the user receives."""
    return access.units_for(user, *WORK_ROLES)


def _open(unit_ids, kind: str | None) -> models.QuerySet:
    items = WorkItem.objects.filter(owner_unit_id__in=sorted(unit_ids), state=WorkItemState.OPEN)
    return items if kind is None else items.filter(kind=kind)


def open_items(
    unit_ids,
    thresholds: workitems.LightThresholds,
    *,
    kind: str | None = None,
    light: str | None = None,
) -> models.QuerySet:
    """The units' open items as plain rows, soonest due first (no deadline last), with their light
    and owner: one query on the (owner unit, state, due) index."""
    items = _open(unit_ids, kind)
    if light is not None:
        items = items.filter(workitems.light_filter("due_at", light, thresholds))
    return (
        items.annotate(light=workitems.light_expression("due_at", thresholds))
        .order_by(F("due_at").asc(nulls_last=True), "id")
        .values(
            "id",
            "subject_id",
            "url",
            "title",
            "kind",
            "returned",
            "due_at",
            "light",
            "owner_unit__name",
            "owner_unit__short_name",
            # A group task shows who holds it (one LEFT JOIN on the same query).
            "holder__username",
            "holder__display_name",
        )
    )


def next_items(unit_ids, thresholds: workitems.LightThresholds, *, per_unit: int) -> list[dict]:
    """The first `per_unit` open items of each unit in the inbox's order, with their light and
    label (the home page's "next up"): one query whatever the number of units and items."""
    if not unit_ids:
        return []
    soonest = [F("due_at").asc(nulls_last=True), F("id").asc()]
    rows = (
        _open(unit_ids, None)
        .annotate(
            position=Window(RowNumber(), partition_by=[F("owner_unit_id")], order_by=soonest),
            light=workitems.light_expression("due_at", thresholds),
        )
        .filter(position__lte=per_unit)
        .order_by(*soonest)
        .values("id", "owner_unit_id", "url", "title", "kind", "returned", "due_at", "light")
    )
    return [row | {"kind_label": deadlines.label(row["kind"])} for row in rows]


def _light_counts(thresholds: workitems.LightThresholds) -> dict:
    return {
        light: Count("id", filter=workitems.light_filter("due_at", light, thresholds))
        for light in workitems.Light.values
    }


def light_counts(
    unit_ids, thresholds: workitems.LightThresholds, *, kind: str | None = None
) -> dict[str, int]:
    """How many of the units' open items (of the kind) have each light: one query."""
    result = _open(unit_ids, kind).aggregate(**_light_counts(thresholds))
    return {light: result[light] or 0 for light in workitems.Light.values}


@dataclass
class KindCount:
    """Open work of one kind: how many items, by light."""

    kind: str
    label: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def lights(self) -> list[tuple[str, str, str, int]]:
        """(light, label, style, count) of the lights this kind has items of, red first."""
        return [
            (light, label, workitems.LIGHT_STYLE[light], self.counts[light])
            for light, label in workitems.Light.choices
            if self.counts.get(light)
        ]


def work_by_unit_and_kind(unit_ids, thresholds) -> dict[int, dict[str, dict[str, int]]]:
    """{unit id: {kind: {light: count}}} of the units' open items, in one grouped query."""
    if not unit_ids:
        return {}
    rows = (
        _open(unit_ids, None)
        .values("owner_unit_id", "kind")
        .annotate(**_light_counts(thresholds))
        .order_by()
    )
    result: dict[int, dict[str, dict[str, int]]] = {}
    for row in rows:
        counts = {light: row[light] for light in workitems.Light.values}
        result.setdefault(row["owner_unit_id"], {})[row["kind"]] = counts
    return result


def kinds_of(grouped: dict[int, dict[str, dict[str, int]]], unit_ids) -> list[KindCount]:
    """The open work of some of the units, by kind: most overdue first, then by label."""
    merged: dict[str, KindCount] = {}
    for unit_id in unit_ids:
        for kind, counts in grouped.get(unit_id, {}).items():
            entry = merged.setdefault(
                kind, KindCount(kind, deadlines.label(kind), dict.fromkeys(counts, 0))
            )
            for light, n in counts.items():
                entry.counts[light] += n
    return sorted(
        merged.values(),
        key=lambda k: (-k.counts[workitems.Light.RED], -k.counts[workitems.Light.YELLOW], k.label),
    )


def categories_to_score(user, lead_unit_ids) -> list[dict]:
    """The categories the user's units lead in the sub-district's running years, each with the
    number of on-time reports not scored since they were filed (Art. 12: late and missing
    reports are not a basis for scoring, so they never wait). One query."""
    if not lead_unit_ids:
        return []
    # Appraisal is a lower app: its models are read here, its rule stays in appraisal.
    from appraisal.models import Category, Report, YearStatus
    from appraisal.selectors.scoring import reports_waiting_for_score

    waiting = (
        reports_waiting_for_score(Report.objects.filter(indicator__category_id=OuterRef("pk")))
        .order_by()
        .values("indicator__category_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    return list(
        Category.objects.filter(
            year__sub_district_id=user.sub_district_id,
            year__status__in=[YearStatus.IN_PROGRESS, YearStatus.YEAR_END],
            lead_unit_id__in=sorted(lead_unit_ids),
        )
        .annotate(waiting=Coalesce(Subquery(waiting), 0))
        .order_by("-year__year", "sort_order", "code")
        .values("code", "name", "lead_unit_id", "year__year", "waiting")
    )
