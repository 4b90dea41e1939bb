"""Open work items: the interface every case type uses to put work into a unit's inbox (待办).

A service that opens work calls `open_item(...)`; one that finishes it calls `close_items(...)`,
both inside the service's transaction. The inbox, the traffic lights and the deadline sweep read
only the WorkItem table, whatever the number of case types.

Lights (Art. 11): 逾期 red when the due time has passed; 临期 yellow when 3 or fewer
working days are left; 正常 green otherwise. Computed at read time from due_at, so they are right
without any job running.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connections, models
from django.db.models import Case, Q, Value, When
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import deadlines, workdays
from .models import WorkItem, WorkItemState

DUE_SOON_WORKDAYS = 3


class Light(models.TextChoices):
    RED = "red", _("Overdue")
    YELLOW = "yellow", _("Due soon")
    GREEN = "green", _("On track")
    NONE = "none", _("No deadline")


# How each light is drawn (Bootstrap's contextual colours). With the labels above, the one
# definition every page (inbox, home, ledger, case page) and the ledger export use.
LIGHT_STYLE = {
    Light.RED: "danger",
    Light.YELLOW: "warning",
    Light.GREEN: "success",
    Light.NONE: "secondary",
}


@dataclass(frozen=True)
class LightThresholds:
    now: datetime
    due_soon_until: datetime
    approximate: bool  # the calendar lacked a year: weekdays were counted instead


# The "due soon" limit depends only on the local date and the calendar: keep it a few minutes per
# process (calendar edits clear it here; other processes follow within THRESHOLD_TTL).
THRESHOLD_TTL = 300.0
_thresholds_cache: dict = {}


def forget_thresholds() -> None:
    _thresholds_cache.clear()


def light_thresholds(now: datetime | None = None) -> LightThresholds:
    """Compute once per request: everything due before `due_soon_until` is yellow (or red)."""
    now = now or timezone.now()
    today = workdays.local_date(now)
    cached = _thresholds_cache.get(today)
    if cached is not None and time.monotonic() - cached[0] < THRESHOLD_TTL:
        return LightThresholds(now, cached[1], cached[2])
    # The calendar lacking a year: weekdays are counted instead, and the page says so.
    last, approximate = workdays.add_workdays_or_weekdays(today, DUE_SOON_WORKDAYS)
    due_soon_until = workdays.end_of_day(last)
    _thresholds_cache.clear()
    _thresholds_cache[today] = (time.monotonic(), due_soon_until, approximate)
    return LightThresholds(now, due_soon_until, approximate)


def light_of(due_at: datetime | None, thresholds: LightThresholds) -> str:
    if due_at is None:
        return Light.NONE
    if due_at < thresholds.now:
        return Light.RED
    if due_at <= thresholds.due_soon_until:
        return Light.YELLOW
    return Light.GREEN


def light_expression(field: str, thresholds: LightThresholds) -> Case:
    """The same rule as light_of, for the database (filters, counts, ordering)."""
    return Case(
        When(**{f"{field}__isnull": True}, then=Value(Light.NONE)),
        When(**{f"{field}__lt": thresholds.now}, then=Value(Light.RED)),
        When(**{f"{field}__lte": thresholds.due_soon_until}, then=Value(Light.YELLOW)),
        default=Value(Light.GREEN),
        output_field=models.CharField(),
    )


def light_filter(field: str, light: str, thresholds: LightThresholds) -> Q:
    if light == Light.RED:
        return Q(**{f"{field}__lt": thresholds.now})
    if light == Light.YELLOW:
        return Q(**{f"{field}__gte": thresholds.now, f"{field}__lte": thresholds.due_soon_until})
    if light == Light.GREEN:
        return Q(**{f"{field}__gt": thresholds.due_soon_until})
    return Q(**{f"{field}__isnull": True})


def open_item(
    *,
    kind: str,
    subject: models.Model,
    owner_unit_id: int,
    sub_district_id: int,
    title: str,
    url: str,
    due_at: datetime | None,
    reference: str = "",
    returned: bool = False,
) -> WorkItem:
    """Put a piece of work into a unit's inbox (one open item per subject and kind). The kind must
    be registered in core.deadlines (deadlines.UnknownKind otherwise)."""
    deadlines.require(kind)
    return WorkItem.objects.create(
        kind=kind,
        subject_type=ContentType.objects.get_for_model(subject),
        subject_id=subject.pk,
        owner_unit_id=owner_unit_id,
        sub_district_id=sub_district_id,
        title=title[:250],
        reference=reference[:40],
        url=url,
        due_at=due_at,
        returned=returned,
    )


@dataclass(frozen=True)
class NewItem:
    """One item for open_items: the fields open_item takes, with the subject as type and id."""

    kind: str
    subject_type: ContentType
    subject_id: int
    owner_unit_id: int
    sub_district_id: int
    title: str
    url: str
    due_at: datetime | None
    reference: str = ""


def open_items(items, *, batch_size: int = 2000) -> None:
    """open_item for many subjects at once, built in Python (translated titles, reversed URLs);
    a subject that already has an open item of the kind is skipped (the partial unique index)."""

    def checked(items):
        for item in items:
            deadlines.require(item.kind)
            yield item

    WorkItem.objects.bulk_create(
        (
            WorkItem(
                kind=i.kind,
                subject_type=i.subject_type,
                subject_id=i.subject_id,
                owner_unit_id=i.owner_unit_id,
                sub_district_id=i.sub_district_id,
                title=i.title[:250],
                reference=i.reference[:40],
                url=i.url,
                due_at=i.due_at,
            )
            for i in checked(items)
        ),
        batch_size=batch_size,
        ignore_conflicts=True,
    )


def delete_items(*, subject_model: type[models.Model], subject_ids) -> int:
    """Remove every item (open or closed) of subjects that are being deleted with their year."""
    deleted, _per_model = WorkItem.objects.filter(
        subject_type=ContentType.objects.get_for_model(subject_model),
        subject_id__in=subject_ids,
    ).delete()
    return deleted


# The columns a set-based opening takes from its source rows (the rest are the kind's constants).
SOURCE_COLUMNS = (
    "subject_id",
    "owner_unit",
    "sub_district",
    "title",
    "reference",
    "url",
    "due_at",
)


def open_items_from(
    rows: models.QuerySet,
    *,
    kind: str,
    subject_type: ContentType,
    columns: dict[str, Any],
    returned: bool = False,
    now: datetime | None = None,
) -> int:
    """Set-based open_item: one INSERT … SELECT opens an item of `kind` per row of `rows`, the
    `columns` (SOURCE_COLUMNS → an expression over `rows`, or a constant) giving its values. A
    subject that already has an open item of the kind is skipped (the partial unique index
    decides). Returns the number of items opened. The deadline sweep opens thousands in a batch:
    the rows never travel through Python."""
    deadlines.require(kind)
    unknown = set(columns) - set(SOURCE_COLUMNS)
    if unknown or not {"subject_id", "owner_unit", "sub_district", "title", "url"} <= set(columns):
        raise ValueError(f"open_items_from: columns {sorted(columns)}")
    connection = connections[rows.db]
    constants = {
        "kind": kind,
        "subject_type": subject_type.pk,
        "state": WorkItemState.OPEN,
        "returned": returned,
        "created_at": connection.ops.adapt_datetimefield_value(now or timezone.now()),
    }
    expressions = {}
    for name, value in columns.items():
        if not hasattr(value, "resolve_expression"):
            limit = {"title": 250, "reference": 40}.get(name)
            constants[name] = value[:limit] if limit and isinstance(value, str) else value
        elif name in ("title", "reference"):
            expressions[name] = Substr(value, 1, 250 if name == "title" else 40)
        else:
            expressions[name] = value
    if "subject_id" not in expressions:
        raise ValueError("open_items_from: subject_id must be an expression over the rows")
    # Selected under aliases of their own: an annotation may not bear a field's name.
    aliases = {f"_item_{name}": value for name, value in expressions.items()}
    source = rows.order_by().annotate(**aliases).values(*aliases)
    select_sql, select_params = source.query.sql_with_params()
    quote = connection.ops.quote_name
    meta = WorkItem._meta
    targets = [*constants, *expressions]
    sql = (
        f"INSERT INTO {quote(meta.db_table)} "
        f"({', '.join(quote(meta.get_field(name).column) for name in targets)}) "
        f"SELECT {', '.join(['%s'] * len(constants) + [f'src.{quote(a)}' for a in aliases])} "
        f"FROM ({select_sql}) src "
        # SQLite reads an ON right after FROM … as a join's: a WHERE ends the SELECT first.
        "WHERE 1 = 1 ON CONFLICT DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*constants.values(), *select_params])
        return max(cursor.rowcount, 0)


def close_items(
    *, subject: models.Model, kinds: list[str] | None = None, state: str = WorkItemState.DONE
) -> int:
    """Close the subject's open items (of the given kinds, or all)."""
    items = WorkItem.objects.filter(
        subject_type=ContentType.objects.get_for_model(subject),
        subject_id=subject.pk,
        state=WorkItemState.OPEN,
    )
    if kinds is not None:
        items = items.filter(kind__in=kinds)
    return items.update(state=state, closed_at=timezone.now())


def reschedule_items(*, subject: models.Model, kinds: list[str], due_at: datetime | None) -> int:
    """Move the subject's open items of the kinds to a new due time (a granted extension): the
    overdue event is recorded again if the new time passes too, and the reminders follow (the
    reminder ledger is keyed by the due time)."""
    return WorkItem.objects.filter(
        subject_type=ContentType.objects.get_for_model(subject),
        subject_id=subject.pk,
        kind__in=kinds,
        state=WorkItemState.OPEN,
    ).update(due_at=due_at, overdue_at=None)


def cancel_items(*, subject_model: type[models.Model], subject_ids, kinds: list[str]) -> int:
    """Close, as cancelled, the open items of `kinds` of many subjects at once (one UPDATE):
    work that can no longer be done, such as the reports of a year whose results are decided."""
    return WorkItem.objects.filter(
        subject_type=ContentType.objects.get_for_model(subject_model),
        subject_id__in=subject_ids,
        kind__in=kinds,
        state=WorkItemState.OPEN,
    ).update(state=WorkItemState.CANCELLED, closed_at=timezone.now())


def open_item_of(*, subject: models.Model, kinds: list[str] | None = None) -> WorkItem | None:
    """The subject's open item (of the kinds), if any: a page asks it who holds a group task."""
    items = WorkItem.objects.filter(
        subject_type=ContentType.objects.get_for_model(subject),
        subject_id=subject.pk,
        state=WorkItemState.OPEN,
    )
    if kinds is not None:
        items = items.filter(kind__in=kinds)
    return items.select_related("holder").first()


def holder_of(*, subject: models.Model, kinds: list[str] | None = None):
    """Who holds the subject's open group task (None: nobody, or no open item)."""
    item = open_item_of(subject=subject, kinds=kinds)
    return item.holder if item is not None else None
