#!/usr/bin/env python
"""`make bench` (third part): the deadline sweep at scale, on PostgreSQL; writes
var/bench/sweep.json.

Loads 100,000 issued/replied notices over 300 communities of one sub-district, each with its open
reply or measures work item, every one of them past due (bulk inserts, as bench_notices does), so
that the sweep has to record 100,000 overdue events, notify the community's two people and the
issuing Office's one person of each (300,000 notifications), and propose an escalation for every
contact and supervision sheet. Then times:

(b) the physical floor: one set-based
    UPDATE core_workitem SET overdue_at = now
    WHERE state = 'open' AND overdue_at IS NULL AND due_at < now
    over the same rows (committed; the rows are reset and vacuumed after each of FLOOR_RUNS runs),
(a) one full run_sweep() with the configured batch size (no reminder is due: everything is
    overdue), with a breakdown by phase (wall and database time of each),
(c) an idle run_sweep() right after (nothing left to do), the median of IDLE_RUNS,

and reports the ratio (a)/(b), the rows and audit rows and notifications written, the queries,
EXPLAIN ANALYZE of the overdue scan (busy and idle), and the functions with the most self time in
a cProfile run of a second full sweep over the same rows (reset again, audit rows kept: the trail
is append-only).

Delivery of the notifications is queued, not run: the test settings run django-q2 tasks inline,
so the bench switches django-q2 to the ORM broker's queue (what production does without Redis);
each batch then enqueues one delivery task per 500 notifications, as in production.

Uses DATABASE_URL when it names PostgreSQL, else postgres://postgres@127.0.0.1:5432/dangjian_bench,
in a throw-away database `test_<name>_sweep` (created and dropped here). Wall-clock figures:
compare runs on the same machine only.
"""

from __future__ import annotations

import cProfile
import dataclasses
import json
import logging
import os
import platform
import pstats
import random
import re
import statistics
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/dangjian_bench"
if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
    os.environ["DATABASE_URL"] = DEFAULT_URL
os.environ.pop("REDIS_URL", None)  # the ORM broker: its enqueue cost is part of the sweep

import benchdata  # noqa: E402 (scripts/, after the path and settings above)

OUT = benchdata.out_dir()
NOTICES = int(os.environ.get("BENCH_SWEEP_NOTICES", 0)) or benchdata.scaled(100_000, 200)
COMMUNITIES = benchdata.scaled(300, 10)
FLOOR_RUNS = 3
IDLE_RUNS = 5
PROFILE_TOP = 25
SEED = 20260302
DEFERRED = "Notice.refresh_from_db (deferred field loads, one query each)"

FLOOR_SQL = """
UPDATE core_workitem SET overdue_at = %s
WHERE state = 'open' AND overdue_at IS NULL AND due_at < %s
"""

# Everything the sweep writes, set-based, in one statement: the marks, one audit row per item (a
# per-row SHA-256 stands in for the chain, which must be computed in order), the notifications of
# the owner's and the issuer's people, the proposals and their work items. Rolled back.
ALL_WRITES_SQL = """
WITH marked AS (
    UPDATE core_workitem SET overdue_at = %(now)s
    WHERE state = 'open' AND overdue_at IS NULL AND due_at < %(now)s
    RETURNING id, kind, sub_district_id, owner_unit_id, subject_type_id, subject_id, title, url,
        due_at
), events AS (
    INSERT INTO core_auditevent (event_type, sub_district_id, actor_label, subject_type_id,
        subject_id, subject_repr, created_at, after, prev_hash, hash)
    SELECT 'deadline.overdue', sub_district_id, 'deadline-sweep', subject_type_id,
        subject_id::text, left(title, 200), %(now)s,
        jsonb_build_object('kind', kind, 'due_at', due_at, 'work_item', id),
        encode(sha256(('p' || id)::bytea), 'hex'), encode(sha256(('h' || id)::bytea), 'hex')
    FROM marked
    RETURNING 1
), people AS (
    SELECT DISTINCT ra.unit_id, ra.user_id
    FROM core_roleassignment ra JOIN core_user u ON u.id = ra.user_id
    WHERE ra.role = ANY(%(roles)s) AND u.is_active
), notes AS (
    INSERT INTO core_notification (sub_district_id, recipient_unit_id, recipient_user_id, verb,
        title, url, subject_type_id, subject_id, created_at)
    SELECT m.sub_district_id, p.unit_id, p.user_id, 'deadline.overdue', m.title, m.url,
        m.subject_type_id, m.subject_id, %(now)s
    FROM marked m
    JOIN rectification_notice n ON n.id = m.subject_id
    JOIN people p ON p.unit_id IN (m.owner_unit_id, n.issuing_unit_id)
    RETURNING 1
), proposals AS (
    INSERT INTO rectification_escalationproposal (notice_id, deadline_kind, due_at, created_at,
        state, reason)
    SELECT n.id, m.kind, m.due_at, %(now)s, 'open', ''
    FROM marked m JOIN rectification_notice n ON n.id = m.subject_id
    WHERE n.kind = ANY(%(escalates)s) AND n.state IN ('issued', 'replied')
    ON CONFLICT DO NOTHING
    RETURNING notice_id
), proposal_items AS (
    INSERT INTO core_workitem (kind, subject_type_id, subject_id, owner_unit_id,
        sub_district_id, title, reference, url, due_at, state, returned, created_at)
    SELECT 'notice.escalation_proposal', m.subject_type_id, n.id, n.issuing_unit_id,
        n.sub_district_id, left('Escalation proposed: ' || m.title, 250), n.number,
        '/notices/' || n.id || '/', NULL, 'open', false, %(now)s
    FROM proposals p
    JOIN rectification_notice n ON n.id = p.notice_id
    JOIN marked m ON m.subject_id = n.id
    ON CONFLICT DO NOTHING
    RETURNING 1
)
SELECT (SELECT count(*) FROM marked), (SELECT count(*) FROM events),
    (SELECT count(*) FROM notes), (SELECT count(*) FROM proposals),
    (SELECT count(*) FROM proposal_items)
"""


# --- data -----------------------------------------------------------------------------------------


def load(rng: random.Random) -> dict:
    """One sub-district, its Office and 300 communities, one Office user and two people per
    community, 100,000 issued/replied notices with their open work items, all past due."""
    from django.contrib.auth.hashers import make_password

    from core.models import Role, RoleAssignment, User
    from rectification.kinds import WI_MEASURES, WI_REPLY

    org = benchdata.create_org(COMMUNITIES)
    password = make_password("bench-pass-12345")
    people = User.objects.bulk_create(
        [
            User(
                username=f"bench-{unit.code}-{role}",
                password=password,
                sub_district=org["sub_district"],
                display_name=f"{unit.name}{role}",
            )
            for unit in org["communities"]
            for role in ("staff", "secretary")
        ]
    )
    RoleAssignment.objects.bulk_create(
        [
            RoleAssignment(
                user=user,
                unit=org["communities"][i // 2],
                role=Role.COMMUNITY_STAFF if i % 2 == 0 else Role.COMMUNITY_SECRETARY,
            )
            for i, user in enumerate(people)
        ]
    )
    # every current deadline from 60 days to one hour overdue
    benchdata.load_notices(rng, org, NOTICES, due_minutes=(-60 * 1440, -60))
    return {"items": [WI_REPLY, WI_MEASURES]}


def reset(kinds: list[str]) -> None:
    """Undo a sweep's effects except the audit rows (append-only): overdue marks, notifications,
    proposals and the proposals' work items, queued tasks; then vacuum."""
    from django.db import connection, transaction

    from rectification.kinds import WI_PROPOSAL

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_notification")
        cursor.execute("DELETE FROM rectification_escalationproposal")
        cursor.execute("DELETE FROM core_workitem WHERE kind = %s", [WI_PROPOSAL])
        cursor.execute("DELETE FROM django_q_ormq")
        cursor.execute("UPDATE core_workitem SET overdue_at = NULL WHERE kind = ANY(%s)", [kinds])
    vacuum()


def vacuum() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # what autovacuum would have done on a live server


# --- measuring ------------------------------------------------------------------------------------


class DbTimer:
    """connection.execute_wrapper: time and number of statements sent to the database."""

    def __init__(self):
        self.seconds = 0.0
        self.queries = 0
        self.by_statement: dict[str, list[float]] = {}

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            took = time.perf_counter() - started
            self.seconds += took
            self.queries += 1
            key = " ".join(sql.split())[:60]
            entry = self.by_statement.setdefault(key, [0, 0.0])
            entry[0] += 1
            entry[1] += took


class Phases:
    """Wall and database seconds spent inside each wrapped callable (exclusive of phases nested
    inside it), fed by one DbTimer."""

    def __init__(self, db: DbTimer):
        self.db = db
        self.wall: dict[str, float] = {}
        self.dbs: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self._stack: list[list[float]] = []

    def wrap(self, name: str, fn):
        def timed(*args, **kwargs):
            frame = [0.0, 0.0]  # wall and db time of nested phases
            self._stack.append(frame)
            wall0, db0 = time.perf_counter(), self.db.seconds
            try:
                return fn(*args, **kwargs)
            finally:
                self._stack.pop()
                wall, db = time.perf_counter() - wall0, self.db.seconds - db0
                self.wall[name] = self.wall.get(name, 0.0) + wall - frame[0]
                self.dbs[name] = self.dbs.get(name, 0.0) + db - frame[1]
                self.calls[name] = self.calls.get(name, 0) + 1
                if self._stack:
                    self._stack[-1][0] += wall
                    self._stack[-1][1] += db

        return timed

    def report(self, total: float) -> dict:
        return {
            name: {
                "seconds": round(self.wall[name], 3),
                "db_seconds": round(self.dbs[name], 3),
                "python_seconds": round(self.wall[name] - self.dbs[name], 3),
                "share_of_sweep": round(self.wall[name] / total, 3),
                "calls": self.calls[name],
            }
            for name in sorted(self.wall, key=self.wall.get, reverse=True)
        }


@contextmanager
def instrumented(phases: Phases):
    """Wrap the sweep's steps by rebinding the names it calls (nothing in the app changes):
    the reminder and overdue batches, the audit append, the notifications, each kind's
    also_notify and on_overdue (re-registered through core.deadlines.register), the delivery
    task enqueue, and the statement that marks the items."""
    from core import deadlines, notifications
    from rectification.models import Notice
    from workflows import sweep

    saved_sweep = {
        name: getattr(sweep, name)
        for name in ("_remind_batch", "audit_record_many", "notify_items")
    }
    saved_kinds = deadlines.registered()
    saved_dispatcher = notifications.dispatcher()
    saved_refresh = Notice.__dict__.get("refresh_from_db")
    try:
        # Deferred-field loads: one query each (nested inside on_overdue, counted apart).
        Notice.refresh_from_db = phases.wrap(DEFERRED, Notice.refresh_from_db)
        sweep._remind_batch = phases.wrap("reminders (3 steps, none due)", sweep._remind_batch)
        sweep.audit_record_many = phases.wrap("audit_record_many", sweep.audit_record_many)
        sweep.notify_items = phases.wrap("notify_items", sweep.notify_items)
        notifications.set_dispatcher(
            phases.wrap("delivery enqueue (on_commit async_task)", saved_dispatcher)
        )
        for spec in saved_kinds.values():
            changes = {}
            if spec.also_notify:
                changes["also_notify"] = phases.wrap("also_notify (issuer units)", spec.also_notify)
            if spec.on_overdue:
                changes["on_overdue"] = phases.wrap(
                    "on_overdue (escalation proposals, the rest)", spec.on_overdue
                )
            if changes:
                deadlines.register(dataclasses.replace(spec, **changes))
        yield
    finally:
        for name, value in saved_sweep.items():
            setattr(sweep, name, value)
        notifications.set_dispatcher(saved_dispatcher)
        if saved_refresh is None:
            del Notice.refresh_from_db
        else:
            Notice.refresh_from_db = saved_refresh
        for spec in saved_kinds.values():
            deadlines.register(spec)


def overdue_statement_seconds(db: DbTimer) -> tuple[int, float]:
    for key, (count, seconds) in db.by_statement.items():
        if key.startswith('UPDATE "core_workitem" SET "overdue_at"'):
            return count, seconds
    return 0, 0.0


def floor(kinds: list[str]) -> dict:
    from django.db import connection, transaction
    from django.utils import timezone

    times, rows = [], 0
    for _ in range(FLOOR_RUNS):
        now = timezone.now()
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(FLOOR_SQL, [now, now])
            rows = cursor.rowcount
        times.append(time.perf_counter() - started)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "UPDATE core_workitem SET overdue_at = NULL WHERE kind = ANY(%s)", [kinds]
            )
        vacuum()
    return {
        "runs_seconds": [round(t, 3) for t in times],
        "median_seconds": round(statistics.median(times), 3),
        "rows": rows,
    }


def floor_all_writes() -> dict:
    """ALL_WRITES_SQL, FLOOR_RUNS times, each rolled back (the audit trail is append-only)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from core.notifications import RECIPIENT_ROLES
    from rectification.models import ESCALATES_TO

    times, counts = [], None
    for _ in range(FLOOR_RUNS):
        params = {
            "now": timezone.now(),
            "roles": [str(r) for r in RECIPIENT_ROLES],
            "escalates": [str(k) for k in ESCALATES_TO],
        }
        with transaction.atomic(), connection.cursor() as cursor:
            started = time.perf_counter()
            cursor.execute(ALL_WRITES_SQL, params)
            counts = cursor.fetchone()
            times.append(time.perf_counter() - started)
            transaction.set_rollback(True)
        vacuum()
    keys = ("marked", "audit_rows", "notifications", "proposals", "proposal_items")
    return {
        "runs_seconds": [round(t, 3) for t in times],
        "median_seconds": round(statistics.median(times), 3),
        "rows": dict(zip(keys, counts, strict=True)),
        "note": "one statement, rolled back, not committed; per-row sha256 instead of the chain",
    }


INDEX_RE = re.compile(
    r"(?:Index Scan|Index Only Scan|Bitmap Index Scan)(?: Backward)? (?:using|on) (\w+)"
)


def explain_overdue(batch: int) -> dict:
    """EXPLAIN ANALYZE of the sweep's overdue statement (one batch), rolled back."""
    from django.db import connection, transaction
    from django.utils import timezone

    from workflows.sweep import OVERDUE_SQL

    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + OVERDUE_SQL, [now, now, batch])
        text = "\n".join(row[0] for row in cursor.fetchall())
        transaction.set_rollback(True)
    found = re.search(r"Execution Time: ([\d.]+) ms", text)
    return {
        "indexes": sorted(set(INDEX_RE.findall(text))),
        "execution_ms": float(found.group(1)) if found else None,
        "plan": text.splitlines(),
    }


def profile_sweep() -> tuple[float, list[str], dict]:
    from workflows.sweep import run_sweep

    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    run_sweep()
    profiler.disable()
    took = time.perf_counter() - started
    rows = []
    stats = pstats.Stats(profiler).stats
    for (filename, line, name), (_cc, calls, tottime, cumtime, _) in stats.items():
        where = re.sub(r".*/site-packages/", "", filename.replace(str(ROOT) + "/", ""))
        rows.append((tottime, cumtime, calls, f"{where}:{line}({name})"))
    rows.sort(reverse=True)
    top = [
        f"{tottime:7.2f} s self {cumtime:7.2f} s cum {calls:9d} calls  {label}"
        for tottime, cumtime, calls, label in rows[:PROFILE_TOP]
    ]
    # Cumulative time of the functions that make up a batch, under the profiler.
    wanted = {
        "compute_hash",
        "_normalize",
        "_canonical",
        "audit_record_many",
        "notify_items",
        "propose_escalation",
        "issuer_units",
        "_overdue_batch",
        "bulk_create",
        "async_task",
        "__init__ (models.Model)",
    }
    cumulative = {}
    for (filename, _line, name), (_cc, _calls, _tottime, cumtime, _) in stats.items():
        key = name
        if name == "__init__" and filename.endswith("django/db/models/base.py"):
            key = "__init__ (models.Model)"
        if key in wanted:
            cumulative[key] = cumulative.get(key, 0.0) + cumtime
    return took, top, {k: round(v, 2) for k, v in sorted(cumulative.items())}


def main() -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django_q.conf import Conf
    from django_q.models import OrmQ

    from core.audit import verify_chain
    from core.models import AuditEvent, Notification, SweepRun, WorkItem
    from rectification.models import ESCALATES_TO, EscalationProposal, Notice, NoticeState
    from workflows.sweep import run_sweep

    # The test settings run tasks inline; production queues them (ORM broker without Redis).
    Conf.SYNC = False
    logging.getLogger("django-q").setLevel(logging.WARNING)  # one "Enqueued" line per task
    results: dict[str, object] = {
        "machine": platform.platform(),
        "python": platform.python_version(),
        "database": connection.vendor,
        "scale": benchdata.scale(),
        "batch_size": settings.DEADLINE_SWEEP_BATCH,
        "broker": "ORM" if Conf.ORM else "other",
    }
    with benchdata.throwaway_database("sweep") as db_name:
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            results["postgresql"] = cursor.fetchone()[0]
        results["database_name"] = db_name
        started = time.perf_counter()
        kinds = load(random.Random(SEED))["items"]
        vacuum()
        results["load_seconds"] = round(time.perf_counter() - started, 1)
        items = WorkItem.objects.filter(kind__in=kinds).count()
        qualifying = Notice.objects.filter(
            kind__in=list(ESCALATES_TO), state__in=[NoticeState.ISSUED, NoticeState.REPLIED]
        ).count()
        results["rows"] = items

        # (b) the floor.
        results["floor"] = floor(kinds)
        assert results["floor"]["rows"] == items, results["floor"]
        results["floor_all_writes"] = floor_all_writes()
        results["explain_overdue_batch_busy"] = explain_overdue(settings.DEADLINE_SWEEP_BATCH)

        # (a) one full sweep, with the phases timed.
        audit_before = AuditEvent.objects.count()
        db = DbTimer()
        phases = Phases(db)
        with connection.execute_wrapper(db), instrumented(phases):
            started = time.perf_counter()
            result = run_sweep()
            full = time.perf_counter() - started
        assert not result.errors, result.errors
        audit_written = AuditEvent.objects.count() - audit_before
        notes = Notification.objects.count()
        proposals = EscalationProposal.objects.count()
        assert result.overdue == items == audit_written, (result, items, audit_written)
        assert proposals == result.proposals == qualifying, (proposals, result, qualifying)
        assert notes == 3 * items, notes  # two people of the community, one of the Office
        statements, overdue_sql = overdue_statement_seconds(db)
        breakdown = phases.report(full)
        breakdown["overdue UPDATE … RETURNING"] = {
            "seconds": round(overdue_sql, 3),
            "db_seconds": round(overdue_sql, 3),
            "calls": statements,
            "share_of_sweep": round(overdue_sql / full, 3),
        }
        accounted = sum(v["seconds"] for v in breakdown.values())
        breakdown["rest of _overdue_batch (rows, events, messages, commits)"] = {
            "seconds": round(full - accounted, 3),
            "share_of_sweep": round((full - accounted) / full, 3),
        }
        results["full_sweep"] = {
            "seconds": round(full, 3),
            "sweep_run_duration_ms": SweepRun.objects.order_by("-id")
            .values_list("duration_ms", flat=True)
            .first(),
            "overdue": result.overdue,
            "reminders": result.reminders,
            "proposals": result.proposals,
            "batches": result.batches,
            "queries": db.queries,
            "db_seconds": round(db.seconds, 3),
            "python_seconds": round(full - db.seconds, 3),
            "items_per_second": round(items / full, 1),
            "delivery_tasks_queued": OrmQ.objects.count(),
            # Regression guard: a deferred field on Notice costs one query per notice.
            "notice_deferred_loads": phases.calls.get(DEFERRED, 0),
        }
        results["audit_rows_written"] = audit_written
        results["notifications_written"] = notes
        results["proposals_written"] = proposals
        results["breakdown"] = breakdown
        results["top_statements_by_db_time"] = [
            {"sql": key, "count": count, "seconds": round(seconds, 3)}
            for key, (count, seconds) in sorted(
                db.by_statement.items(), key=lambda kv: kv[1][1], reverse=True
            )[:10]
        ]

        # (c) the idle sweep.
        results["explain_overdue_batch_idle"] = explain_overdue(settings.DEADLINE_SWEEP_BATCH)
        idle = []
        for _ in range(IDLE_RUNS):
            started = time.perf_counter()
            quiet = run_sweep()
            idle.append(time.perf_counter() - started)
            assert quiet.overdue == quiet.reminders == 0 and not quiet.errors, quiet
        results["idle_sweep"] = {
            "median_ms": round(statistics.median(idle) * 1000, 2),
            "runs_ms": [round(t * 1000, 2) for t in idle],
        }

        started = time.perf_counter()
        report = verify_chain()
        results["verify_chain"] = {
            "ok": report.ok,
            "rows": report.checked,
            "seconds": round(time.perf_counter() - started, 2),
        }
        assert report.ok, report

        floor_s = results["floor"]["median_seconds"]
        results["ratio_full_over_floor"] = round(full / floor_s, 1)
        results["ratio_target"] = 3
        results["ratio_full_over_all_writes_floor"] = round(
            full / results["floor_all_writes"]["median_seconds"], 1
        )

        # A second full sweep over the same rows under cProfile (inflates Python-heavy parts).
        reset(kinds)
        took, top, cumulative = profile_sweep()
        results["profile"] = {
            "seconds_under_profiler": round(took, 2),
            "cumulative_seconds": cumulative,
            "top_self_time": top,
        }

    (OUT / "sweep.json").write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str))
    keys = (
        "rows",
        "full_sweep",
        "floor",
        "idle_sweep",
        "ratio_full_over_floor",
        "floor_all_writes",
        "ratio_full_over_all_writes_floor",
        "audit_rows_written",
        "notifications_written",
        "proposals_written",
        "breakdown",
    )
    print(json.dumps({k: results[k] for k in keys}, indent=2, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
