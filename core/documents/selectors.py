"""Reads of core.documents."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType

from .models import StoredDocument


def stored_document(*, owner, filename: str) -> StoredDocument | None:
    """The stored document of owner with this file name (the newest if several kinds share it)."""
    return (
        StoredDocument.objects.filter(
            owner_type=ContentType.objects.get_for_model(owner, for_concrete_model=False),
            owner_id=owner.pk,
            filename=filename,
        )
        .order_by("-updated_at", "-id")
        .first()
    )
