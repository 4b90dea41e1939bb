"""A real qcluster whose worker is SIGKILLed in the middle of the deadline sweep.

`manage.py qcluster` runs as a subprocess against the test database (ORM broker, one worker,
timeout 20 s, retry 30 s, max_attempts 3, written into a settings module in a temporary
directory). The test loads 3,000 overdue notice work items, enqueues deadline_sweep_task, waits
until the worker has committed a few batches, SIGKILLs the worker (not the cluster: the sentinel
spawns a new one), and waits for the ORM broker to hand the task out again once its lock
(dequeue time + retry) has expired. The second run must finish the work without repeating any of
it: one overdue event, one set of notifications and at most one proposal per item or notice, and
an intact audit chain.

Why it works (django_q/brokers/orm.py): dequeue() sets OrmQ.lock to now + retry and the row is
deleted only by acknowledge() once the monitor has the result; a killed worker never reports, so
the row stays and becomes visible to dequeue() again when the lock passes. The killed run's
open batch is rolled back by PostgreSQL when its client socket closes.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from core.audit import verify_chain
from core.models import (
    AuditEvent,
    Notification,
    ReminderSent,
    Role,
    RoleAssignment,
    SweepRun,
    WorkItem,
)
from core.notifications import RECIPIENT_ROLES
from rectification.models import (
    ESCALATES_TO,
    NUMBER_MARK,
    EscalationProposal,
    Notice,
    NoticeKind,
    NoticeState,
)
from rectification.services import WI_MEASURES, WI_REPLY
from tests.factories import Org

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
ITEMS = 3000
BATCH = 50
TIMEOUT = 20
RETRY = 30
CLUSTER = "dangjian"  # Q_CLUSTER["name"]: the ORM broker's list key

SETTINGS = f"""
from config.settings.test import *  # noqa: F403
from config.settings.test import Q_CLUSTER

# A real cluster (the test settings run tasks inline), short timeout and retry, no scheduler
# (nothing but the test's task may start a sweep).
Q_CLUSTER = {{
    **Q_CLUSTER,
    "sync": False,
    "workers": 1,
    "timeout": {TIMEOUT},
    "retry": {RETRY},
    "max_attempts": 3,
    "scheduler": False,
    "orm": "default",
}}
Q_CLUSTER.pop("redis", None)
"""

# "<proc> ready for work at <pid>" in English or in django-q2's zh_Hans catalogue.
WORKER_READY = re.compile(r"(?:ready for work at|已准备好在)\s*(\d+)")


# --- processes ------------------------------------------------------------------------------------


def _stat(pid: int) -> list[str] | None:
    """/proc/<pid>/stat from the state on (state, ppid, pgrp, …), or None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name in parentheses may contain spaces: the fields follow the last ")".
    return stat.rsplit(")", 1)[1].split()


def _ppid(pid: int) -> int | None:
    fields = _stat(pid)
    return int(fields[1]) if fields else None


def alive(pid: int) -> bool:
    fields = _stat(pid)
    return fields is not None and fields[0] != "Z"  # a zombie has exited, unreaped


def group_members(pgid: int) -> list[int]:
    """Live processes of a process group (the cluster runs in a session of its own)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields and int(fields[2]) == pgid and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def wait_for(predicate, timeout: float, what: str, proc=None, log: Path | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"qcluster exited ({proc.returncode}) {what}:\n{tail(log)}")
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}:\n{tail(log)}")


def tail(log: Path | None, lines: int = 40) -> str:
    if log is None or not log.exists():
        return ""
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def worker_pids(log: Path) -> list[int]:
    return [int(pid) for pid in WORKER_READY.findall(log.read_text(errors="replace"))]


def start_cluster(tmp_path: Path, log: Path) -> subprocess.Popen:
    (tmp_path / "qkill_settings.py").write_text(textwrap.dedent(SETTINGS))
    db = settings.DATABASES["default"]
    auth = quote(db["USER"], safe="") + (
        f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "qkill_settings",
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)]),
        "DATABASE_URL": (
            f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "DEADLINE_SWEEP_BATCH": str(BATCH),
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("REDIS_URL", None)
    return subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "qcluster"],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: the finally can reap every process
    )


def stop_cluster(proc: subprocess.Popen) -> None:
    """SIGTERM to the cluster (it stops its sentinel and workers), then SIGKILL to whatever of
    its process group is left."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=20)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)
    deadline = time.monotonic() + 10
    while group_members(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.1)


# --- data -----------------------------------------------------------------------------------------


def load(org: Org, now) -> tuple[list[int], int]:
    """ITEMS issued/replied notices of all kinds from the Office to one community, each with its
    open reply or measures item, due 1 to 50 hours ago. Returns the item ids and the number of
    notices that must get an escalation proposal."""
    office_user = org.user(Role.OFFICE_STAFF)
    kinds = [NoticeKind.CONTACT] * 4 + [NoticeKind.SUPERVISION, NoticeKind.OPINION]
    notices = []
    for i in range(ITEMS):
        kind = kinds[i % len(kinds)]
        replied = i % 3 == 0
        due = now - timedelta(hours=1 + i % 50, minutes=i % 60)
        reply_due = due - timedelta(days=10) if replied else due
        notices.append(
            Notice(
                sub_district=org.sd,
                kind=kind,
                number=f"2026-{NUMBER_MARK[kind]}-{i:05d}",
                state=NoticeState.REPLIED if replied else NoticeState.ISSUED,
                issuing_unit=org.office,
                target=org.community,
                created_by=office_user,
                issued_by=office_user,
                subject=f"整改事项（{i}）",
                problem="检查发现问题。",
                reply_due_workdays=5,
                measures_due_workdays=15,
                reply_due_at=reply_due,
                measures_due_at=due if replied else due + timedelta(days=10),
                current_due_at=due,
                issued_at=reply_due - timedelta(days=7),
            )
        )
    Notice.objects.bulk_create(notices, batch_size=1000)
    notice_ct = ContentType.objects.get_for_model(Notice)
    items = WorkItem.objects.bulk_create(
        [
            WorkItem(
                kind=WI_MEASURES if n.state == NoticeState.REPLIED else WI_REPLY,
                subject_type=notice_ct,
                subject_id=n.pk,
                owner_unit=org.community,
                sub_district=org.sd,
                title=f"{n.number} {n.subject}",
                reference=n.number,
                url=f"/notices/{n.pk}/",
                due_at=n.current_due_at,
            )
            for n in notices
        ],
        batch_size=1000,
    )
    qualifying = sum(1 for n in notices if n.kind in ESCALATES_TO)
    return [w.pk for w in items], qualifying


def recipients_per_item(org: Org) -> int:
    """The community's receiving people plus the issuing Office's (issuer_units)."""
    return sum(
        RoleAssignment.objects.filter(unit=unit, role__in=RECIPIENT_ROLES, user__is_active=True)
        .values("user_id")
        .distinct()
        .count()
        for unit in (org.community, org.office)
    )


# --- the test -------------------------------------------------------------------------------------


def test_sweep_survives_a_killed_worker(tmp_path):
    from django_q.brokers.orm import ORM
    from django_q.models import OrmQ, Task
    from django_q.tasks import async_task

    assert connection.vendor == "postgresql"
    org = Org("K")
    now = timezone.now()
    item_ids, qualifying = load(org, now)
    persons = recipients_per_item(org)
    assert persons == 3  # community staff + secretary, office staff (the admin only reads)

    log = tmp_path / "qcluster.log"
    proc = start_cluster(tmp_path, log)
    started = time.monotonic()
    try:
        # The cluster is up: its one worker has said where it works.
        first_worker = wait_for(lambda: worker_pids(log), 60, "the worker", proc, log)[-1]
        sentinel = _ppid(first_worker)
        assert sentinel is not None and _ppid(sentinel) == proc.pid, "worker is not a grandchild"

        # sync=False: the test process's own settings run tasks inline. The broker is the ORM
        # one whatever REDIS_URL says here, as in the subprocess.
        task_id = async_task(
            "workflows.tasks.deadline_sweep_task", sync=False, broker=ORM(list_key=CLUSTER)
        )
        enqueued = time.monotonic()

        def sweep_package():
            return next(
                (q for q in OrmQ.objects.filter(key=CLUSTER) if q.task_id() == task_id), None
            )

        # The worker has started and committed a few batches, but is far from done.
        def some_overdue():
            if not SweepRun.objects.exists():
                return 0
            return WorkItem.objects.filter(pk__in=item_ids, overdue_at__isnull=False).count()

        seen = wait_for(lambda: some_overdue() >= 2 * BATCH, 60, "the first batches", proc, log)
        assert seen
        os.kill(first_worker, signal.SIGKILL)
        killed = time.monotonic()
        wait_for(lambda: not alive(first_worker), 10, "the worker to die", proc, log)
        # Whatever was committed before the kill stays; the open batch rolls back on the server.
        time.sleep(1)
        done_before_kill = WorkItem.objects.filter(
            pk__in=item_ids, overdue_at__isnull=False
        ).count()
        assert BATCH <= done_before_kill < ITEMS, f"not killed mid-sweep ({done_before_kill})"
        assert done_before_kill % BATCH == 0, "a batch was committed in part"
        first_run = SweepRun.objects.get()
        assert first_run.finished_at is None and not first_run.ok
        # The task is still in the broker, locked until dequeue time + retry.
        package = sweep_package()
        assert package is not None and package.lock > timezone.now()

        # The sentinel replaces the worker at once; the broker hands the task out again after
        # `retry`, and this time it completes.
        wait_for(
            lambda: [p for p in worker_pids(log) if p != first_worker], 10, "a new worker", proc
        )
        wait_for(
            lambda: SweepRun.objects.filter(ok=True).exists(),
            RETRY + TIMEOUT + 30,
            "the re-delivered sweep to finish",
            proc,
            log,
        )
        redelivered = time.monotonic()
        task = wait_for(
            lambda: Task.objects.filter(id=task_id, success=True).first(),
            30,
            "the task result",
            proc,
            log,
        )
        # Acknowledged: the sweep's package has left the broker.
        wait_for(lambda: sweep_package() is None, 10, "the acknowledgement", proc, log)
    finally:
        stop_cluster(proc)
    assert proc.poll() is not None and not group_members(proc.pid)

    # Exactly once, whatever the kill interrupted.
    runs = list(SweepRun.objects.order_by("started_at"))
    assert len(runs) == 2, runs
    second_run = runs[1]
    assert second_run.ok and second_run.overdue == ITEMS - done_before_kill
    assert second_run.reminders == 0
    # Re-delivered after the lock expired, not earlier.
    assert (second_run.started_at - runs[0].started_at).total_seconds() >= RETRY - 2
    # django-q2 counts an attempt only when a result reaches the monitor: the killed delivery is
    # not counted, so max_attempts never stops a task that keeps killing its worker.
    assert task.success and task.attempt_count == 1
    assert "sweep ok" in task.result

    assert not WorkItem.objects.filter(pk__in=item_ids, overdue_at__isnull=True).exists()
    events = AuditEvent.objects.filter(event_type="deadline.overdue")
    assert events.count() == ITEMS
    per_item = events.values("after__work_item").annotate(n=Count("id"))
    assert {row["after__work_item"] for row in per_item} == set(item_ids)
    assert {row["n"] for row in per_item} == {1}

    notes = Notification.objects.filter(verb="deadline.overdue")
    assert notes.count() == ITEMS * persons
    dupes = notes.values("subject_id", "recipient_user_id").annotate(n=Count("id")).filter(n__gt=1)
    assert not dupes.exists()

    assert EscalationProposal.objects.count() == qualifying
    assert EscalationProposal.objects.values("notice_id").distinct().count() == qualifying
    assert WorkItem.objects.filter(kind="notice.escalation_proposal").count() == qualifying
    assert not ReminderSent.objects.exists()

    report = verify_chain()
    assert report.ok, report
    assert report.checked == AuditEvent.objects.count()

    timings = {
        "kill_after_s": round(killed - enqueued, 1),
        "done_before_kill": done_before_kill,
        "finished_after_s": round(redelivered - enqueued, 1),
        "second_run_ms": second_run.duration_ms,
        "total_s": round(time.monotonic() - started, 1),
    }
    print(timings)
