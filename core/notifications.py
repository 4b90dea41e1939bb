"""Notifications: written in the transaction of their cause (an outbox), delivered after commit.

The deadline engine (issue 4) delivers them (notification centre, e-mail, digests); until it lands
they are recorded and marked delivered by `workflows.tasks.deliver_notifications`.
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django_q.tasks import async_task

from .models import Notification


def notify(
    *,
    sub_district_id: int,
    unit_id: int,
    verb: str,
    title: str,
    url: str = "",
    subject=None,
    user_id: int | None = None,
) -> Notification:
    """Record a notification now; queue its delivery for after the commit."""
    note = Notification.objects.create(
        sub_district_id=sub_district_id,
        recipient_unit_id=unit_id,
        recipient_user_id=user_id,
        verb=verb,
        title=title[:250],
        url=url,
        subject_type=ContentType.objects.get_for_model(subject) if subject is not None else None,
        subject_id=subject.pk if subject is not None else None,
    )
    transaction.on_commit(lambda: async_task("workflows.tasks.deliver_notifications", [note.pk]))
    return note
