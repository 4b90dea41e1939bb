"""Schedules declared in code (house style), synced into django-q2 by name (`sync_schedules`).

Interval schedules only (pitfalls.md: CRON schedules compute from "now"); catch_up is off in
settings so a stopped cluster does not replay a backlog on restart.
"""

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class ScheduleSpec:
    name: str
    func: str
    minutes: int


def declared() -> list[ScheduleSpec]:
    return [
        # Art. 11: reminders, overdue events and escalation proposals (R11.2).
        ScheduleSpec(
            "deadline-sweep", "workflows.tasks.deadline_sweep_task", settings.DEADLINE_SWEEP_MINUTES
        ),
        # viewflow's Timer / OnTimeout nodes are rows fired by workflow_timers (pitfalls.md).
        ScheduleSpec("workflow-timers", "workflows.tasks.workflow_timers_task", 1),
        # Notifications whose delivery or immediate e-mail failed are sent again.
        ScheduleSpec("notification-redeliver", "workflows.tasks.redeliver_pending", 5),
        # The daily digest checks every 5 minutes whether it is due (08:30 local).
        ScheduleSpec("notification-digest", "workflows.tasks.send_digests", 5),
        # The audit chain is verified every night; a break is logged and mailed to the admins.
        ScheduleSpec("audit-verify", "workflows.tasks.audit_verify_task", 24 * 60),
        # A signed checkpoint of the chain head, kept outside the database and mailed to the admins.
        ScheduleSpec("audit-checkpoint", "workflows.tasks.audit_checkpoint_task", 60),
    ]


SCHEDULES = declared()
