"""The audit event types and notification kinds of rectification plans (Art. 20). Keys are as
rows hold them; the labels are what the item's timeline, the audit trail and the notification
centre show (each names the action, never the state it leads to)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from core import audit_events
from core.audit_events import Field

APP = "rectification"

EVENTS = (
    ("plan.created", _("Plan created from the feedback letter")),
    ("plan.item_saved", _("Plan item drafted")),
    ("plan.item_added", _("Plan item added")),
    ("plan.item_removed", _("Plan item removed")),
    ("plan.submitted", _("Plan submitted")),
    ("plan.office_accepted", _("Plan passed by the Office")),
    ("plan.returned", _("Plan returned for rework")),
    ("plan.accepted", _("Plan accepted by the Leading Group")),
    ("plan.completed", _("Every item of the plan closed")),
    ("plan.progress", _("Progress reported")),
    ("plan.milestone_reached", _("Milestone reached")),
    ("plan.close_requested", _("Close-out requested")),
    ("plan.item_closed", _("Item closed out (销号)")),
    ("plan.close_returned", _("Close-out returned")),
    ("plan.extension_requested", _("Milestone extension requested")),
    ("plan.extension_granted", _("Milestone extension granted")),
    ("plan.extension_refused", _("Milestone extension refused")),
    ("plan.milestone_escalated", _("Missed milestone escalated to a notice")),
    ("plan.item_linked", _("Linked to an earlier item (repeated problem)")),
    ("plan.item_unlinked", _("Link to an earlier item removed")),
)

NOTIFICATIONS = (
    ("plan.created", _("Rectification plan to draft")),
    ("plan.submitted", _("Rectification plan received for review")),
    ("plan.returned", _("Rectification plan returned for rework")),
    ("plan.reviewed", _("Rectification plan received for acceptance")),
    ("plan.accepted", _("Rectification plan accepted")),
    ("plan.close_requested", _("Close-out of a rectification item requested")),
    ("plan.item_closed", _("Rectification item closed out")),
    ("plan.close_returned", _("Close-out of a rectification item returned")),
    ("plan.extension_requested", _("Milestone extension request received")),
    ("plan.extension_granted", _("Milestone extension granted")),
    ("plan.extension_refused", _("Milestone extension refused")),
    ("plan.milestone_escalated", _("Missed milestone escalated to a notice")),
)


def register() -> None:
    for key, label in EVENTS:
        audit_events.register(key, label, APP)
    for kind, label in NOTIFICATIONS:
        audit_events.register_notification(kind, label, APP)
    # Payload keys of plan events (per event type: other apps' rows may use the same keys).
    fields = {
        "item": Field(_("Plan item"), refers_to="rectification.planitem"),
        "items": Field(_("Items")),
        "milestone": Field(_("Milestone"), refers_to="rectification.milestone"),
        "milestones": Field(_("Milestones")),
        "comments": Field(_("Comments per item")),
        "level": Field(_("Returned by")),
        "update": Field(_("Progress update"), refers_to="rectification.progressupdate"),
        "notice": Field(_("Notice"), refers_to="rectification.notice"),
        "repeats": Field(_("Repeats"), refers_to="rectification.planitem"),
        "files": Field(_("Files")),
        # Keys of the tracking rows (rectification.plans.tracking) no subject model labels.
        "next_steps": Field(_("Next steps")),
        "title": Field(_("Milestone")),
        "due_date": Field(_("Due date")),
        "due_at": Field(_("Due")),
    }
    for key, _label in EVENTS:
        audit_events.register_fields(fields, event_type=key)
    for event_type in (
        "plan.extension_requested",
        "plan.extension_granted",
        "plan.extension_refused",
    ):
        audit_events.register_fields(
            {"state": Field(_("State"), choices="rectification.milestoneextension.state")},
            event_type=event_type,
        )
