"""List pages run a fixed number of queries whatever the number of rows (1 row and many)."""

import pytest
from django.db import transaction
from django.urls import reverse

from core.audit import audit_record
from core.models import Role
from tests.factories import UnitFactory, make_member

pytestmark = pytest.mark.django_db


def _events(org, n):
    actor = org.user(Role.OFFICE_STAFF)
    with transaction.atomic():
        for i in range(n):
            audit_record(event_type=f"test.e{i}", actor=actor, subject=org.community)


# Per request: session, user, sub-district (navbar), roles, unread notifications, then the page's
# own queries, and the session save in a savepoint (3: idle expiry renews the session on every
# request).
@pytest.mark.parametrize("rows", [1, 50])
def test_audit_list_queries(client, org, rows, django_assert_num_queries):
    _events(org, rows)
    client.force_login(org.user(Role.AUDITOR))
    client.get(reverse("home"))
    # count + page of events with actor and subject type joined
    with django_assert_num_queries(10):
        response = client.get(reverse("audit_list"))
    assert response.status_code == 200
    # the page holds the events plus the audited log-in itself, up to the page size of 50
    assert len(response.context["page_obj"]) == min(rows + 1, 50)


@pytest.mark.parametrize("extra_units", [0, 40])
def test_org_units_queries(client, org, extra_units, django_assert_num_queries):
    for _ in range(extra_units):
        UnitFactory(sub_district=org.sd)
    client.force_login(org.user(Role.COMMUNITY_STAFF))
    client.get(reverse("home"))
    with django_assert_num_queries(9):
        response = client.get(reverse("org_units"))
    assert response.status_code == 200


@pytest.mark.parametrize("members", [1, 30])
def test_unit_detail_queries(client, org, members, django_assert_num_queries):
    for _ in range(members - 1):
        make_member(org.community2, Role.COMMUNITY_STAFF)
    make_member(org.community2, Role.COMMUNITY_SECRETARY)
    client.force_login(org.user(Role.OFFICE_STAFF))
    client.get(reverse("home"))
    with django_assert_num_queries(10):
        response = client.get(reverse("unit_detail", args=[org.community2.pk]))
    assert len(response.context["assignments"]) == members
