"""Print the deadline engine's health; exit 1 when it is not healthy.

Installation-wide on purpose (every sub-district's backlog, every failed task): it is the
operator's tool on the server. The /deadlines/status/ page shows a sub-district its own only.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from workflows.health import health


class Command(BaseCommand):
    help = "Deadline engine health: last sweep, failed tasks, backlog (期限引擎状态)."

    def handle(self, *args, **options):
        h = health()
        out = self.stdout
        if h.last_ok:
            r = h.last_ok
            out.write(
                f"last successful sweep / 最近一次成功扫描: "
                f"{timezone.localtime(r.started_at):%Y-%m-%d %H:%M:%S} ({r.duration_ms} ms): "
                f"{r.examined} examined, {r.reminders} reminders, {r.overdue} overdue events, "
                f"{r.proposals} escalation proposals"
            )
        else:
            out.write("no successful sweep yet / 尚无成功的扫描")
        if h.last_run and not h.last_run.ok:
            out.write(f"last run failed / 最近一次失败: {h.last_run.error[:300]}")
        out.write(f"backlog / 积压: {h.backlog} items past due without an overdue event")
        out.write(f"failed tasks / 失败任务: {len(h.failures)}")
        for f in h.failures:
            out.write(f"  {f['stopped']:%Y-%m-%d %H:%M} {f['func']}: {str(f['result'])[:200]}")
        if not h.healthy:
            reasons = []
            if h.stale:
                reasons.append("no successful sweep within three intervals (is qcluster running?)")
            if h.backlog:
                reasons.append(f"{h.backlog} overdue items not yet recorded")
            raise CommandError("期限引擎异常 / deadline engine unhealthy: " + "; ".join(reasons))
        out.write("期限引擎正常 / deadline engine healthy")
