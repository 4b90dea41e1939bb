"""The set-based opener of work items (core.workitems.open_items_from): one INSERT … SELECT, the
same rows open_item would write, one open item per subject and kind."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import CharField, F, Value
from django.db.models.functions import Cast, Concat
from django.test.utils import CaptureQueriesContext

from core import workitems
from core.models import Unit, UnitKind, WorkItem, WorkItemState

pytestmark = pytest.mark.django_db


def open_for_communities(org, **extra):
    communities = Unit.objects.filter(sub_district=org.sd, kind=UnitKind.COMMUNITY)
    return workitems.open_items_from(
        communities,
        kind="test.kind",
        subject_type=ContentType.objects.get_for_model(Unit),
        columns={
            "subject_id": F("pk"),
            "owner_unit": F("pk"),
            "sub_district": F("sub_district_id"),
            "title": Concat(Value("待办 "), F("name"), output_field=CharField()),
            "reference": F("code"),
            "url": Concat(Value("/units/"), Cast("pk", CharField()), output_field=CharField()),
            "due_at": None,
            **extra,
        },
    )


def test_one_statement_opens_an_item_per_row(org):
    # given two communities (and the content type known)
    ContentType.objects.get_for_model(Unit)
    # when their items are opened at once
    with CaptureQueriesContext(connection) as queries:
        opened = open_for_communities(org)

    # then one statement wrote both, as open_item would
    assert opened == 2 and len(queries) == 1
    items = WorkItem.objects.filter(kind="test.kind").order_by("subject_id")
    assert [(i.owner_unit_id, i.title, i.url, i.state, i.due_at, i.returned) for i in items] == [
        (u.pk, f"待办 {u.name}", f"/units/{u.pk}", WorkItemState.OPEN, None, False)
        for u in (org.community, org.community2)
    ]
    assert all(i.sub_district_id == org.sd.pk and i.created_at for i in items)


def test_a_subject_with_an_open_item_of_the_kind_is_skipped(org):
    # given c01's item already open
    workitems.open_item(
        kind="test.kind",
        subject=org.community,
        owner_unit_id=org.community.pk,
        sub_district_id=org.sd.pk,
        title="已有",
        url="/",
        due_at=None,
    )

    # when both are opened
    opened = open_for_communities(org)

    # then only c02's is new
    assert opened == 1
    assert WorkItem.objects.filter(kind="test.kind", subject_id=org.community.pk).count() == 1


def test_long_titles_and_references_are_cut_to_the_columns(org):
    # when the title and reference are longer than their columns
    open_for_communities(org, title=Value("题" * 300), reference=Value("r" * 60))

    # then they are cut as open_item cuts them
    item = WorkItem.objects.filter(kind="test.kind").first()
    assert (len(item.title), len(item.reference)) == (250, 40)


def test_an_unknown_column_is_refused(org):
    with pytest.raises(ValueError):
        open_for_communities(org, state=Value("done"))
