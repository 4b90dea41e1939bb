"""Schedules declared in code (house style), synced into django-q2 by name (`sync_schedules`).

Interval schedules only (pitfalls.md: CRON schedules compute from "now"); catch_up is off in
settings so a stopped cluster does not replay a backlog on restart.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class ScheduleSpec:
    name: str
    func: str
    minutes: int


SCHEDULES: list[ScheduleSpec] = [
    # The audit chain is verified every night; a break is logged and mailed to the admins.
    ScheduleSpec(name="audit-verify", func="workflows.tasks.audit_verify_task", minutes=24 * 60),
]
