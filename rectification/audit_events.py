"""The audit event types and notification kinds rectification writes (core.audit_events).

Keys are as old rows hold them (they are inside each row's hash); the labels are what the
case timeline, the audit trail and the notification centre show.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from core import audit_events
from core.audit_events import Field

APP = "rectification"


def register() -> None:
    for key, label in (
        ("notice.create", _("Draft created")),
        ("notice.update", _("Draft changed")),
        ("notice.issue", _("Notice issued")),
        ("notice.reply", _("Reply submitted")),
        ("notice.measures", _("Rectification measures submitted")),
        ("notice.return_reply", _("Reply returned")),
        ("notice.return_measures", _("Measures returned")),
        ("notice.verify", _("Verified and closed")),
        ("notice.withdraw", _("Notice withdrawn")),
        ("notice.escalate", _("Notice escalated")),
        ("notice.escalation_drafted", _("Escalation drafted")),
        ("notice.interview", _("Interview recorded")),
        ("notice.escalation_dismissed", _("Escalation proposal dismissed")),
        ("notice.extension_requested", _("Extension requested")),
        # notice.extension_<state> of the decision (rectification.services).
        ("notice.extension_granted", _("Extension granted")),
        ("notice.extension_refused", _("Extension refused")),
    ):
        # Art. 11: the timeline names each step as an action (签发, 提交整改措施, 撤回 …), never
        # as the state it leads to.
        audit_events.register(key, label, APP)

    for kind, label in (
        ("notice.issued", _("New notice received")),
        ("notice.replied", _("Reply received")),
        ("notice.measures_submitted", _("Rectification measures received")),
        ("notice.reply_returned", _("Reply returned for rework")),
        ("notice.measures_returned", _("Measures returned for rework")),
        ("notice.verified", _("Notice verified and closed")),
        ("notice.withdrawn", _("Notice withdrawn by its issuer")),
        ("notice.escalated", _("Notice escalated to the next level")),
        ("notice.escalation_draft", _("Escalated notice drafted: the Office issues it")),
        ("notice.extension_requested", _("Extension request received")),
        ("notice.extension_granted", _("Extension request granted")),
        ("notice.extension_refused", _("Extension request refused")),
    ):
        # Each kind has its own msgid: "New notice" is the Office's button (新建通知), not what
        # the community receives (收到新通知).
        audit_events.register_notification(kind, label, APP)

    # Payload keys that are not fields of Notice (those are labelled by their verbose_name).
    audit_events.register_fields(
        {
            "reply_version": Field(_("Reply version")),
            "measures_version": Field(_("Measures version")),
            "measures": Field(_("Measures"), items="rectification.measure"),
            "no": Field(_("No.")),
            "requested_date": Field(_("Requested new date")),
            "extension": Field(_("Extension request")),
            "proposal": Field(_("Escalation proposal")),
            "escalated_to": Field(_("Escalated to"), refers_to="rectification.notice"),
            "escalated_kind": Field(
                _("Kind of the escalated notice"), choices="rectification.notice.kind"
            ),
            "automatic": Field(_("Automatic")),
            "escalation_of": Field(_("Escalation of"), refers_to="rectification.notice"),
            "returned": Field(_("Returned")),
            "deadline": Field(_("Deadline")),
        }
    )
    # These rows' `state` is the request's or the proposal's, not the notice's.
    for event_type in (
        "notice.extension_requested",
        "notice.extension_granted",
        "notice.extension_refused",
    ):
        audit_events.register_fields(
            {
                "state": Field(_("State"), choices="rectification.deadlineextension.state"),
                "deadline": Field(
                    _("Deadline"), choices="rectification.deadlineextension.deadline"
                ),
            },
            event_type=event_type,
        )
    audit_events.register_fields(
        {"state": Field(_("State"), choices="rectification.escalationproposal.state")},
        event_type="notice.escalation_dismissed",
    )
