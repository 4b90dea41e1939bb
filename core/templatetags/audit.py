"""Labels of audit event types and notification kinds (core.audit_events), for every page:

    {% load audit %}{{ event.event_type|event_label }} · {{ note.verb|notification_label }}
    {{ event.actor_label|job_label }}  (a scheduled job's name → its label)

A key nobody registered (a row older than its registration) renders a neutral label, never the
key: the code stays in the row and, for auditors, in the audit detail's raw record.
"""

from django import template

from core import audit_events

register = template.Library()


@register.filter
def event_label(key) -> str:
    return audit_events.label(str(key or ""))


@register.filter
def notification_label(kind) -> str:
    return audit_events.notification_label(str(kind or ""))


@register.filter
def job_label(name) -> str:
    return audit_events.job_label(str(name or ""))
