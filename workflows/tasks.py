"""django-q2 tasks: take ids, call services, nothing else (house style)."""

import logging

from django.core.mail import mail_admins

from core.audit import verify_chain

logger = logging.getLogger(__name__)


def audit_verify_task() -> str:
    """Nightly: walk the audit chain; on a break, log an error and mail the administrators."""
    report = verify_chain()
    if report.ok:
        return f"audit chain intact: {report.checked} rows"
    message = f"audit chain broken at row id={report.broken_id}: {report.reason}"
    logger.error(message)
    mail_admins("审计链断裂 / audit chain broken", message, fail_silently=True)
    return message


def deliver_notifications(notification_ids: list[int]) -> int:
    """Mark queued notifications delivered (in-app). E-mail and digests come with issue 4."""
    from django.utils import timezone

    from core.models import Notification

    return Notification.objects.filter(pk__in=notification_ids, delivered_at__isnull=True).update(
        delivered_at=timezone.now()
    )
