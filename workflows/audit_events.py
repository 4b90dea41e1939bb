"""The audit event type and notification kinds of the deadline sweep (core.audit_events)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from core import audit_events, deadlines
from core.audit_events import Field

APP = "workflows"


def _deadline_kind(value) -> str:
    kind = deadlines.get(str(value))
    return str(kind.label) if kind else str(_("Other deadline"))


def register() -> None:
    audit_events.register("deadline.overdue", _("Deadline missed"), APP)
    # workflows.sweep.JOB, also the actor of the escalations the sweep makes.
    audit_events.register_job("deadline-sweep", _("Deadline engine"))
    audit_events.register_fields(
        {
            "kind": Field(_("Deadline"), values=_deadline_kind),
            "due_at": Field(_("Due")),
            "work_item": Field(_("Work item"), refers_to="core.workitem"),
        },
        event_type="deadline.overdue",
    )
    # The year-end process (workflows.yearend, Art. 14–18).
    for key, label in (
        ("yearend.started", _("Year-end appraisal started")),
        ("yearend.task_claimed", _("Group task claimed")),
        ("yearend.task_released", _("Group task released")),
        ("yearend.task_handed_over", _("Group task handed over")),
        ("yearend.documents_queued", _("Written results queued for generation")),
    ):
        audit_events.register(key, label, APP)
    audit_events.register_notification("yearend.letter_ready", _("Feedback letter ready"), APP)
    for kind, label in (
        ("deadline.overdue", _("Overdue")),
        ("deadline.due_today", _("Due today")),
        ("deadline.reminder_1", _("Due in 1 working day")),
        ("deadline.reminder_3", _("Due in 3 working days")),
        # Any other day count of DEADLINE_REMINDER_DAYS (workflows.sweep).
        ("deadline.reminder_{n}", _("Due in %(n)s working days")),
    ):
        audit_events.register_notification(kind, label, APP)
