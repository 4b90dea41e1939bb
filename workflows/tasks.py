"""django-q2 tasks: the scheduled jobs (audit checks, the deadline sweep, viewflow timers) and the
delivery of notifications, which is the machinery core.notifications dispatches to: in-app
delivery and immediate e-mail, exactly once each, the retry of what was never delivered, and the
daily digest."""

from __future__ import annotations

import logging
import os
from datetime import datetime

from django.conf import settings
from django.core.mail import mail_admins, send_mail
from django.core.management import call_command
from django.db import models, transaction
from django.utils import timezone

from core.audit_anchor import audit_check

logger = logging.getLogger(__name__)


def audit_verify_task() -> str:
    """Nightly: guards, chain and the checkpoint file; then a checkpoint of the verified head.
    On a problem, log an error and mail the administrators."""
    path = settings.AUDIT_CHECKPOINT_FILE
    result = audit_check(checkpoints=path if path and os.path.exists(path) else None, write=True)
    if result.ok:
        return f"audit chain intact: {result.checked} rows"
    return _audit_alarm(result.message)


def audit_checkpoint_task() -> str:
    """Hourly: sign the chain head into AUDIT_CHECKPOINT_FILE and mail it to the administrators,
    if the chain still extends the file's newest checkpoint; otherwise alarm and sign nothing."""
    result = audit_check(write=True, incremental=True)
    if result.ok:
        return f"audit checkpoint: {result.message}"
    return _audit_alarm(result.message)


def _audit_alarm(message: str) -> str:
    logger.error(message)
    mail_admins("审计链告警 / audit trail alarm", message, fail_silently=True)
    return message


def deadline_sweep_task() -> str:
    """Every DEADLINE_SWEEP_MINUTES: reminders, overdue events, escalation proposals."""
    from .sweep import run_sweep

    result = run_sweep()
    return (
        f"sweep ok: {result.reminders} reminders, {result.overdue} overdue, "
        f"{result.proposals} proposals"
    )


def workflow_timers_task() -> None:
    """Every minute: fire viewflow's timer nodes (pitfalls.md: they are rows in the DB)."""
    call_command("workflow_timers")


def _absolute(url: str) -> str:
    base = getattr(settings, "SITE_URL", "").rstrip("/")
    return f"{base}{url}" if base and url.startswith("/") else url


def _label(note) -> str:
    """What kind of notification this is, in the installation's language (core.audit_events):
    a task runs outside any request, so no language is active otherwise."""
    from django.utils import translation

    from core.audit_events import notification_label

    with translation.override(settings.LANGUAGE_CODE):
        return notification_label(note.verb)


def deliver_notifications(notification_ids: list[int]) -> int:
    """In-app delivery, then immediate e-mail, each exactly once (guarded by its timestamp)."""
    from core.models import Notification
    from core.notifications import SAME_SUB_DISTRICT

    now = timezone.now()
    delivered = Notification.objects.filter(
        pk__in=notification_ids, delivered_at__isnull=True
    ).update(delivered_at=now)
    pending = (
        Notification.objects.filter(
            SAME_SUB_DISTRICT,
            pk__in=notification_ids,
            emailed_at__isnull=True,
            recipient_user__email_notifications="immediate",
            recipient_user__is_active=True,
        )
        .exclude(recipient_user__email="")
        .values_list("pk", flat=True)
    )
    for pk in pending:
        # Lock, send, mark in one transaction: a failed send rolls back, and redeliver_pending
        # (every 5 minutes) sends it later.
        with transaction.atomic():
            note = (
                Notification.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("recipient_user")
                .filter(SAME_SUB_DISTRICT, pk=pk, emailed_at__isnull=True)
                .first()
            )
            if note is None:
                continue
            send_mail(
                subject=f"[{settings.SITE_NAME}] {note.title}",
                message=f"{_label(note)}：{note.title}\n\n{_absolute(note.url)}",
                from_email=None,
                recipient_list=[note.recipient_user.email],
            )
            Notification.objects.filter(pk=pk).update(emailed_at=timezone.now())
    return delivered


def queue_delivery(notification_ids: list[int]) -> str:
    """core.notifications' dispatcher (set in WorkflowsConfig.ready): a task delivers the rows."""
    from django_q.tasks import async_task

    return async_task("workflows.tasks.deliver_notifications", notification_ids)


def redeliver_pending(now: datetime | None = None) -> int:
    """Every few minutes: notifications whose delivery never ran (the queueing after commit
    failed) or whose immediate e-mail failed (django-q2 does not retry a task that raised, with
    ack_failures on) are delivered now. Exactly once still holds: each step is guarded."""
    from datetime import timedelta

    from core.models import Notification
    from core.notifications import SAME_SUB_DISTRICT

    now = now or timezone.now()
    settled = now - timedelta(minutes=1)  # leave fresh ones to their own task
    ids = list(
        Notification.objects.filter(created_at__lt=settled)
        .filter(
            models.Q(delivered_at__isnull=True)
            | models.Q(
                SAME_SUB_DISTRICT,
                emailed_at__isnull=True,
                recipient_user__email_notifications="immediate",
                recipient_user__is_active=True,
            )
        )
        .exclude(delivered_at__isnull=False, recipient_user__email="")
        .order_by("id")
        .values_list("id", flat=True)[:500]
    )
    if ids:
        deliver_notifications(ids)
    return len(ids)


def send_digests(now: datetime | None = None) -> int:
    """From NOTIFICATION_DIGEST_AT local time: one e-mail a day per person who chose the digest,
    listing what arrived since the last one (ledger: core.DigestSent)."""
    from core.models import DigestSent, Notification, User

    now = now or timezone.now()
    local = timezone.localtime(now)
    hour, minute = (int(x) for x in settings.NOTIFICATION_DIGEST_AT.split(":"))
    if (local.hour, local.minute) < (hour, minute):
        return 0
    sent = 0
    # Only what reached the person inside their own sub-district (core.notifications).
    users = (
        User.objects.filter(email_notifications="digest", is_active=True)
        .exclude(email="")
        .filter(
            notifications__emailed_at__isnull=True,
            notifications__sub_district_id=models.F("sub_district_id"),
            notifications__recipient_unit__sub_district_id=models.F("sub_district_id"),
        )
        .distinct()
    )
    for user in users:
        with transaction.atomic():
            _, created = DigestSent.objects.get_or_create(user=user, date=local.date())
            if not created:
                continue
            notes = list(
                Notification.objects.select_for_update(of=("self",))
                .filter(recipient_user=user, emailed_at__isnull=True, created_at__lte=now)
                .filter(
                    sub_district_id=user.sub_district_id,
                    recipient_unit__sub_district_id=user.sub_district_id,
                )
                .order_by("created_at")
            )
            if not notes:
                continue
            lines = [f"- {_label(n)}：{n.title}  {_absolute(n.url)}" for n in notes]
            send_mail(
                subject=f"[{settings.SITE_NAME}] 每日提醒 / daily digest ({len(notes)})",
                message="\n".join(lines),
                from_email=None,
                recipient_list=[user.email],
            )
            Notification.objects.filter(pk__in=[n.pk for n in notes]).update(
                emailed_at=timezone.now()
            )
            DigestSent.objects.filter(user=user, date=local.date()).update(count=len(notes))
            sent += 1
    return sent


def year_documents_task(run_id: int, start: int = 0) -> str:
    """The written results of a published year (Art. 16), generated in the background, a batch
    of letters per job (publication.LETTERS_PER_JOB)."""
    from .publication import documents_generate

    run = documents_generate(run_id, start)
    return f"year documents {run.year_id}: {run.state} {run.done}/{run.total}"
