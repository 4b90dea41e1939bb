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


def leading_group_name(sub_district) -> str:
    """The Leading Group's name as an organ outside the sub-district reads it (the issuing organ
    of the feedback letters and bulletins, the addressee of the 对账销号单): the seeded
    "街道党建工作领导小组" becomes "城南街道党建工作领导小组"."""
    from core.models import Unit, UnitKind

    unit = (
        Unit.objects.filter(sub_district=sub_district, kind=UnitKind.LEADING_GROUP)
        .order_by("sort_order", "pk")
        .first()
    )
    name = unit.name if unit else "党建工作领导小组"
    if name.startswith("街道") and sub_district.name.endswith("街道"):
        return sub_district.name + name[2:]
    if not name.startswith(sub_district.name):
        return sub_district.name + name
    return name
