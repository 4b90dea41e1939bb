"""Writes of core.documents: the next document number, a stored rendered document."""

from __future__ import annotations

import hashlib
import mimetypes

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from .models import DocumentCounter, StoredDocument

CONTENT_TYPES = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class NotInTransaction(RuntimeError):
    """A programming error: the number must be taken in the transaction that uses it."""


def next_document_number(*, sub_district_id: int, year: int, prefix: str) -> str:
    """The next 发文字号 "{prefix}〔{year}〕{n}号", n counted from 1 per sub-district, year and
    prefix. Call it inside the transaction that records the document: a rolled-back document
    gives its number back, a committed one keeps it."""
    if not connection.in_atomic_block:
        raise NotInTransaction("next_document_number() must be called inside transaction.atomic()")
    prefix = prefix.strip()
    if not prefix:
        raise ValueError("A document number needs a prefix")
    if not 1900 <= year <= 9999:
        raise ValueError(f"Not a year: {year!r}")
    key = {"sub_district_id": sub_district_id, "year": year, "prefix": prefix}
    if not DocumentCounter.objects.filter(**key).exists():
        try:
            # two first numbers at once: one creates the row, the other meets the constraint
            with transaction.atomic():
                DocumentCounter.objects.create(**key)
        except IntegrityError:
            pass
    counter = DocumentCounter.objects.select_for_update().get(**key)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{prefix}〔{year}〕{counter.last}号"


def content_type_of(filename: str) -> str:
    lower = filename.lower()
    for ext, ctype in CONTENT_TYPES.items():
        if lower.endswith(ext):
            return ctype
    guessed, _ = mimetypes.guess_type(filename)
    return guessed or "application/octet-stream"


def store_document(
    *, owner, kind: str, filename: str, content: bytes, sub_district_id: int, acting_user=None
) -> StoredDocument:
    """Keep a rendered document of owner (any model instance) under (kind, filename); a second
    store of the same replaces the content (created_at/created_by stay those of the first).
    Read the content back as bytes(doc.content): PostgreSQL returns a memoryview. The caller's
    service records the audit row of the change that produced the document, in the same
    transaction."""
    if owner is None or owner.pk is None:
        raise ValueError("A stored document needs a saved owner")
    if not kind or not filename:
        raise ValueError("A stored document needs a kind and a file name")
    if "/" in filename or "\\" in filename:
        raise ValueError(f"A file name, not a path: {filename!r}")
    content = bytes(content)
    fields = {
        "content": content,
        "sha256": hashlib.sha256(content).hexdigest(),
        "size": len(content),
        "content_type": content_type_of(filename),
        "sub_district_id": sub_district_id,
        "updated_at": timezone.now(),
    }
    created_by = acting_user if getattr(acting_user, "is_authenticated", False) else None
    key = {
        "owner_type": ContentType.objects.get_for_model(owner, for_concrete_model=False),
        "owner_id": owner.pk,
        "kind": kind,
        "filename": filename,
    }
    with transaction.atomic():
        existing = StoredDocument.objects.select_for_update().filter(**key).first()
        if existing is None:
            try:
                with transaction.atomic():
                    return StoredDocument.objects.create(**key, **fields, created_by=created_by)
            except IntegrityError:
                existing = StoredDocument.objects.select_for_update().get(**key)
        for name, value in fields.items():
            setattr(existing, name, value)
        existing.save(update_fields=[*fields.keys()])
        return existing
