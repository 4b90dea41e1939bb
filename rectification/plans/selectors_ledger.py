"""Reads of the Office's plan ledger (整改台账, Art. 20): every visible plan item with its next
milestone, the counts per state, a table per community plan, and the export. Visibility is the
plan items' policy (rectification.plans.policies): a lead department sees the items of its
category, a community its own plan's, the Office, auditors, leaders and administrators all of
the sub-district. Each read is one query, whatever the number of items."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Count,
    DateTimeField,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from core import access, spreadsheets, workitems

from ..models import (
    Milestone,
    PlanItem,
    PlanItemSource,
    PlanItemState,
    PlanState,
)

EXPORT_LIMIT = 50000
PROBLEM_SHORT = 60  # characters of the problem the list shows


@dataclass(frozen=True)
class LedgerFilters:
    year: int | None = None
    community: int | None = None
    category: str = ""
    state: str = ""
    overdue: bool = False  # a milestone past its due time and not reached
    repeated: bool = False  # problems found again (重复问题)


def items_visible_to(user) -> QuerySet[PlanItem]:
    return access.visible(user, PlanItem.objects.all())


def _open_milestones(now: dt.datetime | None = None) -> QuerySet[Milestone]:
    qs = Milestone.objects.filter(item=OuterRef("pk"), done_at__isnull=True)
    return qs if now is None else qs.filter(due_at__lt=now)


def _count(qs: QuerySet) -> Coalesce:
    counted = qs.order_by().values("item").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def filtered(*, user, filters: LedgerFilters, now: dt.datetime) -> QuerySet[PlanItem]:
    """The visible items the filters keep, except the state filter (the state counts and the
    community table are of every state)."""
    qs = items_visible_to(user)
    if filters.year:
        qs = qs.filter(plan__year=filters.year)
    if filters.community:
        qs = qs.filter(plan__unit_id=filters.community)
    if filters.category:
        qs = qs.filter(category_code=filters.category)
    if filters.overdue:
        qs = qs.filter(Exists(_open_milestones(now)))
    if filters.repeated:
        qs = qs.filter(repeated_from__isnull=False)
    return qs


def with_state(qs: QuerySet[PlanItem], filters: LedgerFilters) -> QuerySet[PlanItem]:
    return qs.filter(state=filters.state) if filters.state else qs


def with_next_milestone(qs: QuerySet[PlanItem]) -> QuerySet[PlanItem]:
    """Each item with its next milestone not reached (the earliest due): `next_due`,
    `next_title`."""
    nxt = _open_milestones().order_by("due_at", "position")
    return qs.annotate(
        next_due=Subquery(nxt.values("due_at")[:1], output_field=DateTimeField()),
        next_title=Subquery(nxt.values("title")[:1]),
    )


def ordered(qs: QuerySet[PlanItem]) -> QuerySet[PlanItem]:
    return qs.order_by("-plan__year", "plan__unit__sort_order", "plan_id", "position")


def state_counts(qs: QuerySet[PlanItem]) -> list[dict]:
    """[{state, label, n}] for every item state, in the states' order (zeros included)."""
    counts = dict(qs.order_by().values_list("state").annotate(n=Count("pk")))
    return [
        {"state": s.value, "label": s.label, "n": counts.get(s.value, 0)} for s in PlanItemState
    ]


def completion_rate(closed: int, total: int) -> Decimal | None:
    """Closed items as a percentage of all, one decimal, half up; None without items."""
    if not total:
        return None
    return (Decimal(closed) * 100 / Decimal(total)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def community_table(qs: QuerySet[PlanItem], *, now: dt.datetime) -> list[dict]:
    """One row per plan among the items: community, year, items, closed, completion rate,
    milestones past due and not reached, the plan's state. One query."""
    overdue = Q(milestones__done_at__isnull=True, milestones__due_at__lt=now)
    rows = list(
        qs.order_by()
        .values(
            "plan_id",
            "plan__year",
            "plan__state",
            "plan__unit__name",
            "plan__unit__short_name",
            "plan__unit__sort_order",
        )
        .annotate(
            items=Count("pk", distinct=True),
            closed=Count("pk", filter=Q(state=PlanItemState.CLOSED), distinct=True),
            overdue=Count("milestones", filter=overdue, distinct=True),
        )
        .order_by("-plan__year", "plan__unit__sort_order", "plan_id")
    )
    states = dict(PlanState.choices)
    return [
        {
            "plan_id": r["plan_id"],
            "year": r["plan__year"],
            "community": r["plan__unit__short_name"] or r["plan__unit__name"],
            "items": r["items"],
            "closed": r["closed"],
            "rate": completion_rate(r["closed"], r["items"]),
            "overdue": r["overdue"],
            "plan_state": r["plan__state"],
            "plan_state_label": states.get(r["plan__state"], r["plan__state"]),
        }
        for r in rows
    ]


# What the page shows of each item (plain rows: the page shows 50 of them).
LIST_COLUMNS = (
    "id",
    "plan_id",
    "position",
    "state",
    "problem",
    "category_name",
    "indicator_code",
    "indicator_name",
    "repeated_from_id",
    "plan__year",
    "plan__unit__name",
    "plan__unit__short_name",
    "responsible__display_name",
    "responsible__username",
    "next_due",
    "next_title",
)


def category_indicator(category: str, code: str, name: str) -> str:
    """“党风廉政建设·1.1 廉政谈话”."""
    indicator = " ".join(p for p in (code, name) if p)
    return "·".join(p for p in (category, indicator) if p)


def shorten(text: str, n: int = PROBLEM_SHORT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def list_row(row: dict, thresholds: workitems.LightThresholds) -> dict:
    """A values() row of LIST_COLUMNS with what the page prints."""
    states = dict(PlanItemState.choices)
    row["state_label"] = states.get(row["state"], row["state"])
    row["community"] = row["plan__unit__short_name"] or row["plan__unit__name"]
    row["category_label"] = category_indicator(
        row["category_name"], row["indicator_code"], row["indicator_name"]
    )
    row["problem_short"] = shorten(row["problem"])
    row["responsible"] = row["responsible__display_name"] or row["responsible__username"] or ""
    row["light"] = workitems.light_of(row["next_due"], thresholds) if row["next_due"] else ""
    row["next_label"] = (
        timezone.localtime(row["next_due"]).strftime("%Y-%m-%d") if row["next_due"] else ""
    )
    return row


def filter_choices(user) -> tuple[list[int], list[tuple[str, str]]]:
    """The years (newest first) and the categories (code, name) of the visible items, in one
    query."""
    years: set[int] = set()
    categories: dict[str, str] = {}
    for year, code, name in (
        items_visible_to(user)
        .order_by()
        .values_list("plan__year", "category_code", "category_name")
        .distinct()
    ):
        years.add(year)
        if code:
            categories.setdefault(code, name or code)
    return sorted(years, reverse=True), sorted(categories.items())


# --- the export -----------------------------------------------------------------------------


def _local(moment: dt.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def _person(user) -> str:
    return str(user) if user is not None else ""


def export_rows(qs: QuerySet[PlanItem], *, now: dt.datetime) -> QuerySet[PlanItem]:
    """The items of the export with everything it prints, in one query."""
    return ordered(
        with_next_milestone(qs)
        .select_related("plan__unit", "responsible", "verified_by", "department")
        .annotate(
            milestones_total=_count(Milestone.objects.filter(item=OuterRef("pk"))),
            milestones_done=_count(
                Milestone.objects.filter(item=OuterRef("pk"), done_at__isnull=False)
            ),
            milestones_overdue=_count(_open_milestones(now)),
        )
    )


def ledger_xlsx(qs: QuerySet[PlanItem], *, now: dt.datetime) -> bytes:
    """Exactly the filtered items, labels not codes, times in Asia/Shanghai, user text as text
    (core.spreadsheets)."""
    thresholds = workitems.light_thresholds(now)
    book = spreadsheets.new_workbook(streaming=True)
    sheet = book.create_sheet(_("Plan ledger"))
    light_names = {light.value: str(light.label) for light in workitems.Light}
    light_names[workitems.Light.NONE] = ""
    sources = dict(PlanItemSource.choices)
    plan_states = dict(PlanState.choices)
    yes, no = _("yes"), _("no")
    spreadsheets.append(
        sheet,
        [
            _("Assessment year"),
            _("Community"),
            _("No."),
            _("Category"),
            _("Indicator"),
            _("Problem"),
            _("Found in"),
            _("Repeated problem"),
            _("Lead department"),
            _("Rectification goal"),
            _("Rectification measures"),
            _("Responsible person"),
            _("Milestones reached"),
            _("Milestones in all"),
            _("Overdue milestones"),
            _("Next milestone"),
            _("Next milestone due"),
            _("Light"),
            _("State"),
            _("Closing summary"),
            _("Closed at"),
            _("Closed by"),
            _("Plan state"),
        ],
    )
    for item in qs[:EXPORT_LIMIT].iterator(chunk_size=2000):
        light = workitems.light_of(item.next_due, thresholds)
        spreadsheets.append(
            sheet,
            [
                item.plan.year,
                item.plan.unit.name,
                item.position,
                item.category_name,
                " ".join(p for p in (item.indicator_code, item.indicator_name) if p),
                item.problem,
                str(sources.get(item.source_kind, item.source_kind)),
                yes if item.repeated_from_id else no,
                item.department.name if item.department else "",
                item.goal,
                item.measures,
                _person(item.responsible),
                item.milestones_done,
                item.milestones_total,
                item.milestones_overdue,
                item.next_title or "",
                _local(item.next_due),
                light_names[light],
                item.get_state_display(),
                item.closing_summary,
                _local(item.verified_at),
                _person(item.verified_by),
                str(plan_states.get(item.plan.state, item.plan.state)),
            ],
        )
    return spreadsheets.to_bytes(book)
