"""Work-item kinds are a closed catalogue (core.deadlines): core.workitems opens nothing of a kind
no app registered (it would escape the sweep and have no label), and a kind nobody registers (any
more) is called neutrally, never by its code."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db.models import F, Value
from django.utils import translation

from core import deadlines, workitems
from core.models import Unit, WorkItem

pytestmark = pytest.mark.django_db


def test_open_item_refuses_an_unregistered_kind(org):
    with pytest.raises(deadlines.UnknownKind):
        workitems.open_item(
            kind="nobody.registered",
            subject=org.community,
            owner_unit_id=org.community.pk,
            sub_district_id=org.sd.pk,
            title="x",
            url="/",
            due_at=None,
        )
    assert not WorkItem.objects.exists()


def test_open_items_refuses_an_unregistered_kind(org):
    unit_type = ContentType.objects.get_for_model(Unit)

    def item(kind):
        return workitems.NewItem(
            kind=kind,
            subject_type=unit_type,
            subject_id=org.community.pk,
            owner_unit_id=org.community.pk,
            sub_district_id=org.sd.pk,
            title="x",
            url="/",
            due_at=None,
        )

    with pytest.raises(deadlines.UnknownKind):
        workitems.open_items([item("test.kind"), item("nobody.registered")])
    assert not WorkItem.objects.exists()


def test_open_items_from_refuses_an_unregistered_kind(org):
    with pytest.raises(deadlines.UnknownKind):
        workitems.open_items_from(
            Unit.objects.filter(pk=org.community.pk),
            kind="nobody.registered",
            subject_type=ContentType.objects.get_for_model(Unit),
            columns={
                "subject_id": F("pk"),
                "owner_unit": F("pk"),
                "sub_district": F("sub_district_id"),
                "title": Value("x"),
                "url": "/",
            },
        )
    assert not WorkItem.objects.exists()


def test_an_unregistered_kind_is_called_neutrally_never_by_its_code():
    with translation.override("en"):
        assert deadlines.label("nobody.registered") == "Other task"
    assert "nobody.registered" not in deadlines.label("nobody.registered")
