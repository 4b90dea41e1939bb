"""The audit trail: one append-only, hash-chained table written only through `audit_record`.

Every state change writes exactly one row in the same transaction as the change (README.md, "Design
notes"). Appends are serialized on the chain head row, so two concurrent writers neither fork
the chain (the unique constraint on prev_hash would refuse it) nor fail: the second waits.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
from collections import deque
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction
from django.utils import timezone

from . import audit_events
from .models import AuditChainHead, AuditEvent, SubDistrict

GENESIS_HASH = "0" * 64


class AuditOutsideTransaction(RuntimeError):
    """audit_record was called outside transaction.atomic(): the row could outlive a rollback."""


def _normalize(value: Any) -> Any:
    """JSON-safe copy as the database will give it back (Decimal, dates → strings).

    Floats become strings too: PostgreSQL's jsonb would give 1e20 back as an integer, and the
    row's hash must survive the round trip. Money-like values are Decimals anyway.
    """
    if value is None:
        return None
    return json.loads(
        json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, allow_nan=False),
        parse_float=str,
    )


def _clean_ip(ip: str | None) -> str | None:
    """The address exactly as the database stores it (IPv6 is lower-cased and compressed), or None
    for something that is not an address, so the hash matches what is read back."""
    if not ip:
        return None
    try:
        ipaddress.ip_address(ip)
    except ValueError:
        return None
    return AuditEvent._meta.get_field("ip").get_prep_value(ip)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def compute_hash(**fields: Any) -> str:
    """SHA-256 over the row's content and its predecessor's hash (the fields of hash_payload)."""
    return hashlib.sha256(_canonical(hash_payload(**fields)).encode("utf-8")).hexdigest()


def hash_payload(
    *,
    prev_hash: str,
    event_type: str,
    sub_district_id: int | None,
    actor_id: int | None,
    actor_label: str,
    subject_type: str,
    subject_id: str,
    subject_repr: str,
    created_at,
    before: Any,
    after: Any,
    ip: str | None,
) -> dict[str, Any]:
    """What the hash covers; its canonical JSON (sorted keys, no spaces) is what is hashed."""
    return {
        "prev": prev_hash,
        "type": event_type,
        "sd": sub_district_id,
        "actor": actor_id,
        "label": actor_label,
        "st": subject_type,
        "sid": subject_id,
        "srepr": subject_repr,
        "at": created_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "before": before,
        "after": after,
        "ip": ip or None,
    }


def _content_type_key(ct: ContentType | None) -> str:
    return f"{ct.app_label}.{ct.model}" if ct else ""


def _lock_chain_head() -> AuditChainHead:
    # The head row may be missing (fresh or flushed database): create it without racing.
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        AuditChainHead.objects.bulk_create(
            [AuditChainHead(pk=1, last_hash=GENESIS_HASH, count=0)], ignore_conflicts=True
        )
        head = AuditChainHead.objects.select_for_update().get(pk=1)
    return head


def audit_record(
    *,
    event_type: str,
    actor=None,
    job: str = "",
    subject: models.Model | None = None,
    subject_type: ContentType | None = None,
    subject_id: str | int | None = None,
    subject_repr: str = "",
    sub_district: SubDistrict | int | None = None,
    before: Any = None,
    after: Any = None,
    ip: str | None = None,
    installation_level: bool = False,
) -> AuditEvent:
    """Append one audit row. Must run inside the transaction of the change it records.

    installation_level: an event of the whole installation (the national calendar), recorded
    with no sub-district whatever the actor's. event_type must be registered
    (core.audit_events), so every row has a label."""
    audit_events.events.require(event_type)
    if not connection.in_atomic_block:
        raise AuditOutsideTransaction(
            "audit_record() must be called inside transaction.atomic() with the change it records"
        )
    actor_id = None
    actor_label = job[:150]
    if actor is not None and getattr(actor, "is_authenticated", False):
        actor_id = actor.pk
        actor_label = (actor_label or actor.get_username())[:150]
    if subject is not None:
        subject_type = ContentType.objects.get_for_model(subject, for_concrete_model=False)
        subject_id = subject.pk
        subject_repr = subject_repr or str(subject)
    if installation_level:
        sub_district_id = None
    elif isinstance(sub_district, SubDistrict):
        sub_district_id = sub_district.pk
    elif sub_district is not None:
        sub_district_id = int(sub_district)
    else:
        sub_district_id = _infer_sub_district(subject, actor)
    before = _normalize(before)
    after = _normalize(after)
    ip = _clean_ip(ip)
    subject_id = "" if subject_id is None else str(subject_id)
    subject_repr = (subject_repr or "")[:200]
    created_at = timezone.now()

    head = _lock_chain_head()
    digest = compute_hash(
        prev_hash=head.last_hash,
        event_type=event_type,
        sub_district_id=sub_district_id,
        actor_id=actor_id,
        actor_label=actor_label,
        subject_type=_content_type_key(subject_type),
        subject_id=subject_id,
        subject_repr=subject_repr,
        created_at=created_at,
        before=before,
        after=after,
        ip=ip,
    )
    event = AuditEvent.objects.create(
        event_type=event_type,
        sub_district_id=sub_district_id,
        actor_id=actor_id,
        actor_label=actor_label,
        subject_type=subject_type,
        subject_id=subject_id,
        subject_repr=subject_repr,
        created_at=created_at,
        before=before,
        after=after,
        ip=ip or None,
        prev_hash=head.last_hash,
        hash=digest,
    )
    AuditChainHead.objects.filter(pk=1).update(
        last_hash=digest, last_event_id=event.pk, count=models.F("count") + 1
    )
    return event


@dataclass(frozen=True)
class PendingEvent:
    """One row for audit_record_many (scheduled jobs: no actor, the job's name instead)."""

    event_type: str
    job: str
    sub_district_id: int | None
    subject_type: ContentType | None
    subject_id: str
    subject_repr: str
    after: Any = None
    before: Any = None


def audit_record_many(events: list[PendingEvent]) -> int:
    """Append many rows at once: one lock of the chain head, hashes chained in one go, one bulk
    insert (the deadline sweep records thousands of overdue events per batch)."""
    if not events:
        return 0
    for event_type in {e.event_type for e in events}:
        audit_events.events.require(event_type)
    if not connection.in_atomic_block:
        raise AuditOutsideTransaction(
            "audit_record_many() must be called inside transaction.atomic() with its change"
        )
    created_at = timezone.now()
    head = _lock_chain_head()
    prev = head.last_hash
    rows = []
    for e in events:
        before, after = _normalize(e.before), _normalize(e.after)
        label, subject_repr = e.job[:150], (e.subject_repr or "")[:200]
        digest = compute_hash(
            prev_hash=prev,
            event_type=e.event_type,
            sub_district_id=e.sub_district_id,
            actor_id=None,
            actor_label=label,
            subject_type=_content_type_key(e.subject_type),
            subject_id=e.subject_id,
            subject_repr=subject_repr,
            created_at=created_at,
            before=before,
            after=after,
            ip=None,
        )
        rows.append(
            AuditEvent(
                event_type=e.event_type,
                sub_district_id=e.sub_district_id,
                actor_label=label,
                subject_type=e.subject_type,
                subject_id=e.subject_id,
                subject_repr=subject_repr,
                created_at=created_at,
                before=before,
                after=after,
                prev_hash=prev,
                hash=digest,
            )
        )
        prev = digest
    AuditEvent.objects.bulk_create(rows, batch_size=1000)
    last_id = (
        AuditEvent.objects.filter(hash=prev).values_list("id", flat=True).first()
        if rows[-1].pk is None
        else rows[-1].pk
    )
    AuditChainHead.objects.filter(pk=1).update(
        last_hash=prev, last_event_id=last_id, count=models.F("count") + len(rows)
    )
    return len(rows)


def _infer_sub_district(subject, actor) -> int | None:
    if subject is not None:
        if isinstance(subject, SubDistrict):
            return subject.pk
        value = getattr(subject, "sub_district_id", None)
        if value is not None:
            return value
    if actor is not None:
        return getattr(actor, "sub_district_id", None)
    return None


def model_snapshot(instance: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """The concrete field values of an instance, for before/after JSON."""
    data: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if fields is not None and field.name not in fields:
            continue
        if field.name in {"password"}:
            continue
        data[field.attname] = field.value_from_object(instance)
    return data


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    broken_id: int | None = None
    reason: str = ""
    # The verified end of the chain (what a checkpoint signs), and which checkpoint failed.
    last_id: int | None = None
    last_hash: str = GENESIS_HASH
    checkpoint: str = ""


@dataclass(frozen=True)
class Anchor:
    """A point of the chain known from outside the database: row `last_id` had `hash` and was
    row number `count` of the chain (core.audit_anchor reads them from signed checkpoints)."""

    last_id: int
    hash: str
    count: int
    name: str


@contextmanager
def read_snapshot(using: str = DEFAULT_DB_ALIAS):
    """One consistent view of the audit table for a whole verification.

    Rows appended while the rows are read must not look like a break: PostgreSQL reads in one
    REPEATABLE READ, READ ONLY transaction; SQLite in one deferred transaction (with WAL a reader
    keeps its snapshot and does not take the write lock, so writers are not held up). Inside an
    existing transaction that transaction's view is used.
    """
    conn = connections[using]
    if conn.in_atomic_block:
        yield
        return
    if conn.vendor == "sqlite":
        # The configured IMMEDIATE mode would take the write lock for the whole walk.
        mode = conn.transaction_mode
        conn.transaction_mode = "DEFERRED"
        try:
            with transaction.atomic(using=using):
                yield
        finally:
            conn.transaction_mode = mode
        return
    with transaction.atomic(using=using):
        if conn.vendor == "postgresql":
            with conn.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def _anchor_gone(anchor: Anchor, last_id: int | None, checked: int) -> ChainReport:
    return ChainReport(
        False,
        checked,
        anchor.last_id,
        f"{anchor.name} expects row id={anchor.last_id} as row {anchor.count} of the chain; "
        f"that row no longer exists (the chain now ends at id={last_id} with {checked} rows): "
        "history was truncated or rewritten",
        checkpoint=anchor.name,
    )


def verify_chain(
    *, chunk_size: int = 2000, anchors: Iterable[Anchor] = (), start: Anchor | None = None
) -> ChainReport:
    """Walk the chain in id order in one snapshot, recompute every hash, check the head.

    `anchors`: each must still be on the chain with its hash and position, so a history rewritten
    with every hash recomputed, or truncated with the head set back, is named. `start`: walk only
    the rows after that anchor (it must still be there), for the hourly checkpoint.
    """
    with read_snapshot():
        return _walk(chunk_size=chunk_size, anchors=anchors, start=start)


def _walk(*, chunk_size: int, anchors: Iterable[Anchor], start: Anchor | None) -> ChainReport:
    # Head and rows come from the same snapshot (read_snapshot), so appends made meanwhile are in
    # neither: a head that does not match the rows is a real break, never a race.
    head = AuditChainHead.objects.filter(pk=1).first()
    pending = deque(sorted(anchors, key=lambda a: a.last_id))
    matched: Anchor | None = None
    expected_prev = GENESIS_HASH
    checked = 0
    last_id = None
    last_hash = GENESIS_HASH
    content_types = {ct.pk: _content_type_key(ct) for ct in ContentType.objects.all()}
    rows = AuditEvent.objects.order_by("id")
    if start is not None:
        stored = AuditEvent.objects.filter(pk=start.last_id).values_list("hash", flat=True)
        if not stored:
            return _anchor_gone(start, None, 0)
        if stored[0] != start.hash:
            return ChainReport(
                False,
                0,
                start.last_id,
                f"{start.name} expects row id={start.last_id} with hash {start.hash[:12]}…, "
                f"the row now has {stored[0][:12]}…: history up to it was rewritten",
                checkpoint=start.name,
            )
        rows = rows.filter(pk__gt=start.last_id)
        expected_prev = last_hash = start.hash
        checked, last_id = start.count, start.last_id
        matched = start
    rows = rows.values_list(
        "id",
        "event_type",
        "sub_district_id",
        "actor_id",
        "actor_label",
        "subject_type_id",
        "subject_id",
        "subject_repr",
        "created_at",
        "before",
        "after",
        "ip",
        "prev_hash",
        "hash",
    )
    for row in rows.iterator(chunk_size=chunk_size):
        (pk, etype, sd, actor, label, st, sid, srepr, at, before, after, ip, prev, digest) = row
        if prev != expected_prev:
            return ChainReport(False, checked, pk, "previous hash does not match the row before")
        recomputed = compute_hash(
            prev_hash=prev,
            event_type=etype,
            sub_district_id=sd,
            actor_id=actor,
            actor_label=label,
            subject_type=content_types.get(st, "") if st else "",
            subject_id=sid,
            subject_repr=srepr,
            created_at=at,
            before=before,
            after=after,
            ip=ip,
        )
        if recomputed != digest:
            return ChainReport(False, checked, pk, "content does not match its hash")
        if pending and pending[0].last_id < pk:
            return _anchor_gone(pending[0], last_id, checked)
        while pending and pending[0].last_id == pk:
            anchor = pending.popleft()
            if anchor.hash != digest or anchor.count != checked + 1:
                since = (
                    f" after row id={matched.last_id} ({matched.name} still matches)"
                    if matched
                    else ""
                )
                return ChainReport(
                    False,
                    checked,
                    pk,
                    f"{anchor.name} expects row id={pk} as row {anchor.count} with hash "
                    f"{anchor.hash[:12]}…, it is row {checked + 1} with hash {digest[:12]}…: "
                    f"history up to it was rewritten{since}",
                    checkpoint=anchor.name,
                )
            matched = anchor
        expected_prev = digest
        last_id, last_hash = pk, digest
        checked += 1
    if pending:
        return _anchor_gone(pending[0], last_id, checked)
    if head is not None and (head.last_hash != last_hash or head.count != checked):
        # Rows at the end were removed (or the head was tampered with).
        return ChainReport(
            False,
            checked,
            last_id,
            f"chain head expects {head.count} rows ending in {head.last_hash[:12]}…",
        )
    return ChainReport(True, checked, last_id=last_id, last_hash=last_hash)


def audit_in_transaction(**kwargs) -> AuditEvent:
    """For events that change nothing else (logins): open the transaction and record."""
    with transaction.atomic():
        return audit_record(**kwargs)
