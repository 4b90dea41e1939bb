"""Notifications: written in the transaction of their cause (an outbox), one row per person of
the receiving unit, and delivered after commit (in-app at once; e-mail immediately or in a daily
digest, as each person chooses).

Delivery is exactly-once per channel: `delivered_at` and `emailed_at` are set by guarded updates
inside the transaction that sends, so a retried task skips what is already done.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import F, Q

from . import audit_events
from .models import Notification, Role, RoleAssignment

# Who in a unit receives its notifications (auditors and administrators only read).
RECIPIENT_ROLES = (
    Role.COMMUNITY_STAFF,
    Role.COMMUNITY_SECRETARY,
    Role.OFFICE_STAFF,
    Role.DEPT_ASSESSOR,
    Role.LEADER,
)
DELIVERY_CHUNK = 500

# Delivery is machinery of an app above core (workflows registers it in its AppConfig.ready()):
# core records the rows and hands their ids to the dispatcher after commit. Without one the rows
# simply wait, undelivered, in the outbox.
Dispatcher = Callable[[list[int]], object]
_dispatcher: Dispatcher | None = None


def set_dispatcher(dispatch: Dispatcher | None) -> Dispatcher | None:
    """Name the function that delivers notifications by id (returns the one it replaces)."""
    global _dispatcher
    previous, _dispatcher = _dispatcher, dispatch
    return previous


def dispatcher() -> Dispatcher | None:
    return _dispatcher


def _deliver_after_commit(ids: list[int]) -> None:
    """Queue the delivery of the rows, in chunks, once the transaction that wrote them commits."""
    for start in range(0, len(ids), DELIVERY_CHUNK):
        chunk = ids[start : start + DELIVERY_CHUNK]
        transaction.on_commit(lambda chunk=chunk: _dispatch(chunk))


def _dispatch(ids: list[int]) -> None:
    if _dispatcher is not None:
        _dispatcher(ids)


# A notification reaches a person only inside one sub-district: the person's, the unit's and the
# notification's are the same. The database refuses cross-sub-district role rows (migration
# 0007); every delivery path checks again, so a wrong row can never carry data across.
SAME_SUB_DISTRICT = Q(
    recipient_user__sub_district_id=F("sub_district_id"),
    recipient_unit__sub_district_id=F("sub_district_id"),
)


@dataclass(frozen=True)
class Message:
    sub_district_id: int
    unit_id: int
    verb: str
    title: str
    url: str = ""
    subject_type_id: int | None = None
    subject_id: int | None = None


def recipients(unit_ids) -> dict[int, list[int]]:
    """Active users of the unit's own sub-district holding a receiving role, per unit."""
    result: dict[int, list[int]] = {}
    rows = (
        RoleAssignment.objects.filter(
            unit_id__in=set(unit_ids),
            role__in=RECIPIENT_ROLES,
            user__is_active=True,
            user__sub_district_id=F("unit__sub_district_id"),
        )
        .values_list("unit_id", "user_id")
        .distinct()
    )
    for unit_id, user_id in rows:
        result.setdefault(unit_id, []).append(user_id)
    return result


def notify_many(messages: list[Message]) -> list[int]:
    """Record the messages for every receiving person; queue delivery after commit."""
    if not messages:
        return []
    # Every kind has a label in the notification centre and the e-mails (core.audit_events).
    for verb in {m.verb for m in messages}:
        audit_events.notification_kinds.require(verb)
    people = recipients(m.unit_id for m in messages)
    rows = [
        Notification(
            sub_district_id=m.sub_district_id,
            recipient_unit_id=m.unit_id,
            recipient_user_id=user_id,
            verb=m.verb,
            title=m.title[:250],
            url=m.url,
            subject_type_id=m.subject_type_id,
            subject_id=m.subject_id,
        )
        for m in messages
        for user_id in people.get(m.unit_id, [])
    ]
    created = Notification.objects.bulk_create(rows, batch_size=1000)
    ids = [n.pk for n in created if n.pk is not None]
    if len(ids) != len(created):  # backends that do not return ids from bulk inserts
        ids = list(
            Notification.objects.filter(delivered_at__isnull=True)
            .order_by("-id")
            .values_list("id", flat=True)[: len(created)]
        )
    _deliver_after_commit(ids)
    return ids


def notify(
    *,
    sub_district_id: int,
    unit_id: int,
    verb: str,
    title: str,
    url: str = "",
    subject=None,
) -> list[int]:
    """Record one message for the people of a unit."""
    subject_type_id = ContentType.objects.get_for_model(subject).pk if subject is not None else None
    return notify_many(
        [
            Message(
                sub_district_id=sub_district_id,
                unit_id=unit_id,
                verb=verb,
                title=title,
                url=url,
                subject_type_id=subject_type_id,
                subject_id=subject.pk if subject is not None else None,
            )
        ]
    )


NOTIFY_ITEMS_SQL = """
WITH pairs (item_id, unit_id) AS (VALUES {values})
INSERT INTO {notification}
    ({n_sub_district}, {n_unit}, {n_user}, {n_verb}, {n_title}, {n_url}, {n_subject_type},
     {n_subject_id}, {n_created})
SELECT DISTINCT w.{w_sub_district}, p.unit_id, ra.{ra_user}, %s, w.{w_title}, w.{w_url},
    w.{w_subject_type}, w.{w_subject_id}, %s
FROM pairs p
JOIN {workitem} w ON w.{w_id} = p.item_id
JOIN {roleassignment} ra ON ra.{ra_unit} = p.unit_id
JOIN {unit} un ON un.{un_id} = p.unit_id
JOIN {user} u ON u.{u_id} = ra.{ra_user}
WHERE u.{u_active} AND ra.{ra_role} IN ({roles})
    AND u.{u_sub_district} = un.{un_sub_district} AND un.{un_sub_district} = w.{w_sub_district}
RETURNING {n_id}
"""


def _notify_items_names(quote) -> dict[str, str]:
    """Table and column names of NOTIFY_ITEMS_SQL, from the models' _meta (never literals)."""
    from django.contrib.auth import get_user_model

    from .models import Unit, WorkItem

    def col(model, name):
        return quote(model._meta.get_field(name).column)

    user = get_user_model()
    return {
        "notification": quote(Notification._meta.db_table),
        "workitem": quote(WorkItem._meta.db_table),
        "roleassignment": quote(RoleAssignment._meta.db_table),
        "unit": quote(Unit._meta.db_table),
        "user": quote(user._meta.db_table),
        **{
            f"n_{k}": col(Notification, f)
            for k, f in {
                "id": "id",
                "sub_district": "sub_district",
                "unit": "recipient_unit",
                "user": "recipient_user",
                "verb": "verb",
                "title": "title",
                "url": "url",
                "subject_type": "subject_type",
                "subject_id": "subject_id",
                "created": "created_at",
            }.items()
        },
        **{
            f"w_{k}": col(WorkItem, f)
            for k, f in {
                "id": "id",
                "sub_district": "sub_district",
                "title": "title",
                "url": "url",
                "subject_type": "subject_type",
                "subject_id": "subject_id",
            }.items()
        },
        "ra_user": col(RoleAssignment, "user"),
        "ra_unit": col(RoleAssignment, "unit"),
        "ra_role": col(RoleAssignment, "role"),
        "un_id": col(Unit, "id"),
        "un_sub_district": col(Unit, "sub_district"),
        "u_id": col(user, "id"),
        "u_active": col(user, "is_active"),
        "u_sub_district": col(user, "sub_district"),
    }


def notify_items(verb: str, pairs: list[tuple[int, int]]) -> list[int]:
    """Set-based notify_many for work items: one INSERT … SELECT writes a notification per
    (item, unit) pair for each receiving person (the deadline sweep writes ~300,000 at scale)."""
    from django.db import connection
    from django.utils import timezone

    if not pairs:
        return []
    audit_events.notification_kinds.require(verb)
    ids: list[int] = []
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    for start in range(0, len(pairs), 1000):
        chunk = pairs[start : start + 1000]
        sql = NOTIFY_ITEMS_SQL.format(
            **_notify_items_names(connection.ops.quote_name),
            values=", ".join(["(%s, %s)"] * len(chunk)),
            roles=", ".join(["%s"] * len(RECIPIENT_ROLES)),
        )
        params = [v for pair in chunk for v in pair] + [verb, now, *RECIPIENT_ROLES]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            ids.extend(row[0] for row in cursor.fetchall())
    _deliver_after_commit(ids)
    return ids
