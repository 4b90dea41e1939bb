"""Process tasks in the one 待办: a group task shows who holds it, or that nobody does, and the
inbox stays the same number of queries at 1 and 50 tasks."""

import pytest
from django.urls import reverse
from django.utils import timezone

from core import workitems
from core.models import Role
from tests.factories import UnitFactory
from tests.workflows.test_inbox import _warm
from workflows import kinds

pytestmark = pytest.mark.django_db


def _verification_items(org, n, *, held_by=None):
    for i in range(n):
        item = workitems.open_item(
            kind=kinds.WI_VERIFY,
            subject=UnitFactory(sub_district=org.sd),
            owner_unit_id=org.dept_lz.pk,
            sub_district_id=org.sd.pk,
            title=f"2026年度联合考核组核实：类别{i}",
            url="/x/",
            due_at=timezone.now() + timezone.timedelta(days=5 + i),
        )
        if held_by is not None and i % 2 == 0:
            item.holder = held_by
            item.save(update_fields=["holder"])


@pytest.mark.parametrize("rows", [1, 50])
def test_inbox_queries_with_group_tasks(client, org, rows, django_assert_num_queries):
    member = org.user(Role.DEPT_ASSESSOR)
    _verification_items(org, rows, held_by=member)
    _warm(client, member)
    with django_assert_num_queries(10):
        response = client.get(reverse("inbox"))
    assert len(response.context["page_obj"]) == rows


def test_a_group_task_says_who_holds_it(client, org):
    member = org.user(Role.DEPT_ASSESSOR)
    member.display_name = "王核实"
    member.save(update_fields=["display_name"])
    _verification_items(org, 2, held_by=member)
    client.force_login(member)
    body = client.get(reverse("inbox")).content.decode()
    holders = [
        chunk.split(">", 1)[1].split("</span>", 1)[0]
        for chunk in body.split('data-testid="holder"')[1:]
    ]
    assert len(holders) == 2
    assert "王核实" in holders[0]
    assert "王核实" not in holders[1]
