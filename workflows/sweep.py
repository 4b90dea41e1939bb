"""The deadline sweep: reminders, overdue events and escalation proposals, set-based, in batches.

Captures `now` once, then works in batches of SWEEP_BATCH items, one transaction per batch:
- reminders: one guarded INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING into the reminder
  ledger per step (3 and 1 working days before, and on the due day), then the notifications of
  exactly the rows it inserted;
- overdue: one guarded UPDATE … RETURNING of open items past due not yet recorded, then that
  batch's audit rows (chained in one go), notifications and the kinds' on_overdue handlers.

A rerun, a retried task or a second cluster changes nothing already done: the ledger's unique
constraint and the `overdue_at IS NULL` guard decide. A batch that fails is rolled back whole.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.utils import timezone

from core import deadlines, workdays
from core.audit import PendingEvent, audit_record_many
from core.models import ReminderSent, SweepRun, WorkItem
from core.notifications import notify_items

JOB = "deadline-sweep"


@dataclass
class SweepResult:
    started_at: datetime
    examined: int = 0
    reminders: int = 0
    overdue: int = 0
    proposals: int = 0
    opened: int = 0
    batches: int = 0
    errors: list[str] = field(default_factory=list)


def _dt(value):
    return connection.ops.adapt_datetimefield_value(value)


def _reminder_limit(now: datetime, days: int) -> datetime:
    """Items due up to the end of the day `days` working days from today get the reminder."""
    today = workdays.local_date(now)
    if not days:
        return workdays.end_of_day(today)
    # The calendar lacking next year: weekdays are counted rather than the reminder skipped.
    last, _approximate = workdays.add_workdays_or_weekdays(today, days)
    return workdays.end_of_day(last)


def _names() -> dict[str, str]:
    """The tables and columns the sweep's statements name, from the models (quoted)."""
    quote = connection.ops.quote_name
    w, r = WorkItem._meta, ReminderSent._meta
    names = {"workitem": quote(w.db_table), "remindersent": quote(r.db_table)}
    for name in ("id", "kind", "state", "due_at", "overdue_at", "title", "url", "subject_id"):
        names[name] = quote(w.get_field(name).column)
    for name in ("owner_unit", "sub_district", "subject_type"):
        names[name] = quote(w.get_field(name).column)
    for name in ("work_item", "days", "due_at", "sent_at"):
        names[f"r_{name}"] = quote(r.get_field(name).column)
    return names


N = _names()

REMIND_SQL = f"""
INSERT INTO {N["remindersent"]}
    ({N["r_work_item"]}, {N["r_days"]}, {N["r_due_at"]}, {N["r_sent_at"]})
SELECT w.{N["id"]}, %s, w.{N["due_at"]}, %s FROM {N["workitem"]} w
WHERE w.{N["state"]} = 'open' AND w.{N["due_at"]} >= %s AND w.{N["due_at"]} <= %s
  AND w.{N["kind"]} IN ({{kinds}})
  AND NOT EXISTS (
    SELECT 1 FROM {N["remindersent"]} r
    WHERE r.{N["r_work_item"]} = w.{N["id"]} AND r.{N["r_due_at"]} = w.{N["due_at"]}
      AND r.{N["r_days"]} <= %s)
ORDER BY w.{N["id"]}
LIMIT %s
ON CONFLICT DO NOTHING
RETURNING {N["r_work_item"]}
"""

OVERDUE_SQL = f"""
UPDATE {N["workitem"]} SET {N["overdue_at"]} = %s
WHERE {N["id"]} IN (
    SELECT {N["id"]} FROM {N["workitem"]}
    WHERE {N["state"]} = 'open' AND {N["overdue_at"]} IS NULL AND {N["due_at"]} < %s
    ORDER BY {N["due_at"]}, {N["id"]}
    LIMIT %s
) AND {N["state"]} = 'open' AND {N["overdue_at"]} IS NULL
RETURNING {N["id"]}, {N["kind"]}, {N["sub_district"]}, {N["owner_unit"]}, {N["subject_type"]},
    {N["subject_id"]}, {N["title"]}, {N["url"]}, {N["due_at"]}
"""


def _remind_batch(now: datetime, days: int, limit: datetime, batch: int) -> int:
    kinds = [k for k, spec in deadlines.registered().items() if spec.remind]
    if not kinds:
        return 0
    placeholders = ", ".join(["%s"] * len(kinds))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            REMIND_SQL.format(kinds=placeholders),
            [days, _dt(now), _dt(now), _dt(limit), *kinds, days, batch],
        )
        ids = [row[0] for row in cursor.fetchall()]
        if ids:
            owners = WorkItem.objects.filter(pk__in=ids).values_list("id", "owner_unit_id")
            verb = "deadline.due_today" if days == 0 else f"deadline.reminder_{days}"
            notify_items(verb, list(owners))
    return len(ids)


def _overdue_batch(now: datetime, batch: int) -> tuple[int, int]:
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(OVERDUE_SQL, [_dt(now), _dt(now), batch])
            rows = [deadlines.OverdueRow(*row) for row in cursor.fetchall()]
        if not rows:
            return 0, 0
        rows = [_aware_row(r) for r in rows]
        types = ContentType.objects.in_bulk({r.subject_type_id for r in rows})
        audit_record_many(
            [
                PendingEvent(
                    event_type="deadline.overdue",
                    job=JOB,
                    sub_district_id=r.sub_district_id,
                    subject_type=types.get(r.subject_type_id),
                    subject_id=str(r.subject_id),
                    subject_repr=r.title,
                    after={"kind": r.kind, "due_at": r.due_at, "work_item": r.id},
                )
                for r in rows
            ]
        )
        pairs = [(r.id, r.owner_unit_id) for r in rows]
        proposals = 0
        by_kind: dict[str, list[deadlines.OverdueRow]] = {}
        for r in rows:
            by_kind.setdefault(r.kind, []).append(r)
        for kind, kind_rows in by_kind.items():
            spec = deadlines.get(kind)
            if spec is None:
                continue
            if spec.also_notify:
                extra = spec.also_notify(kind_rows)
                pairs += [(r.id, unit_id) for r in kind_rows for unit_id in extra.get(r.id, [])]
            if spec.on_overdue:
                proposals += spec.on_overdue(kind_rows, now)
        notify_items("deadline.overdue", pairs)
    return len(rows), proposals


def _aware_row(row: deadlines.OverdueRow) -> deadlines.OverdueRow:
    """SQLite gives RETURNING's timestamp back naive (or as text); Django keeps it in UTC."""
    due = row.due_at
    if isinstance(due, str):
        from django.utils.dateparse import parse_datetime

        due = parse_datetime(due)
    if isinstance(due, datetime) and timezone.is_naive(due):
        due = due.replace(tzinfo=UTC)
    return row if due is row.due_at else deadlines.OverdueRow(**{**row.__dict__, "due_at": due})


def run_sweep(*, now: datetime | None = None, batch_size: int | None = None) -> SweepResult:
    """One full sweep."""
    now = now or timezone.now()
    batch = batch_size or settings.DEADLINE_SWEEP_BATCH
    started = time.monotonic()
    # A sweep whose worker was killed never finished its row: close it, so the status page does
    # not show it "running" for ever (the task itself is delivered again by the broker).
    SweepRun.objects.filter(
        finished_at__isnull=True,
        started_at__lt=now - timedelta(seconds=settings.Q_CLUSTER["timeout"]),
    ).update(finished_at=now, ok=False, error="abandoned: the worker stopped before finishing")
    run = SweepRun.objects.create(started_at=now)
    result = SweepResult(started_at=now)

    try:
        # Items whose time has come are opened first, so that they are reminded in this sweep
        # (each call its own transaction; not counted among the reminder and overdue batches).
        for spec in deadlines.registered().values():
            while spec.open_due is not None:
                done = spec.open_due(now, batch)
                result.opened += done
                result.examined += done
                if done == 0:
                    break
        for days in sorted(settings.DEADLINE_REMINDER_DAYS):
            limit = _reminder_limit(now, days)
            while True:
                result.batches += 1
                done = _remind_batch(now, days, limit, batch)
                result.reminders += done
                result.examined += done
                if done == 0:  # a short batch may mean a concurrent sweep took some rows
                    break
        while True:
            result.batches += 1
            done, proposals = _overdue_batch(now, batch)
            result.overdue += done
            result.proposals += proposals
            result.examined += done
            if done == 0:
                break
    except Exception as exc:
        result.errors.append(repr(exc))
        _finish(run, result, started, ok=False)
        raise
    _finish(run, result, started, ok=True)
    return result


def _finish(run: SweepRun, result: SweepResult, started: float, *, ok: bool) -> None:
    SweepRun.objects.filter(pk=run.pk).update(
        finished_at=timezone.now(),
        duration_ms=int((time.monotonic() - started) * 1000),
        ok=ok,
        examined=result.examined,
        reminders=result.reminders,
        overdue=result.overdue,
        proposals=result.proposals,
        error="\n".join(result.errors)[:5000],
    )
