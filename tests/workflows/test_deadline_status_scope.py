"""/deadlines/status/ shows a sub-district's reader their own backlog only; installation-wide
figures (sweep totals, failed tasks) and other sub-districts' backlogs are for installation
administrators, who see every sub-district's backlog labelled by name."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse
from django.utils import timezone
from django_q.models import Task

from core.models import Role, User
from tests.workflows.conftest import at, issue

pytestmark = pytest.mark.usefixtures("engine_settings")


@pytest.fixture
def backlog(org, other_org, clock):
    """Two notices of A and one of B past their reply deadline with no sweep to record them, and
    a failed task naming B."""
    for subject in ("甲一", "甲二"):
        issue(org, reply_workdays=1, subject=subject)
    issue(other_org, reply_workdays=1, subject="乙一")
    clock.set(at(5, 10, 0))
    Task.objects.create(
        id=uuid.uuid4().hex,
        name="b-failure",
        func="workflows.tasks.deliver_notifications",
        started=timezone.now(),
        stopped=timezone.now(),
        success=False,
        result="B街道 secret detail",
    )


def page(client, user):
    client.force_login(user)
    return client.get(reverse("deadline_health"))


@pytest.mark.parametrize("role", [Role.OFFICE_STAFF, Role.ADMIN, Role.AUDITOR])
def test_a_subdistricts_reader_sees_only_its_own_backlog(client, org, other_org, backlog, role):
    # when A's and B's readers open the status page
    a_page = page(client, org.user(role))
    b_page = page(client, other_org.user(role))
    # then each sees its own backlog: A has two notices overdue, B one
    a_backlog, b_backlog = a_page.context["health"].backlog, b_page.context["health"].backlog
    assert b_backlog > 0
    assert a_backlog == 2 * b_backlog
    # and nothing installation-wide: no failed task of the installation, no sweep totals
    body = a_page.content.decode()
    assert "secret detail" not in body and "B街道" not in body
    assert a_page.context["health"].failures == []
    assert not a_page.context["installation"]


def test_an_installation_administrator_sees_every_subdistrict_labelled(
    client, org, other_org, backlog
):
    # given a superuser
    root = User.objects.create_superuser("root", password="x-Root-12345-y")
    a_backlog = page(client, org.user(Role.OFFICE_STAFF)).context["health"].backlog
    b_backlog = page(client, other_org.user(Role.OFFICE_STAFF)).context["health"].backlog
    # when they open the page
    response = page(client, root)
    # then the whole installation's backlog, per sub-district by name, and the failed task
    assert response.status_code == 200
    assert response.context["health"].backlog == a_backlog + b_backlog
    per = {sd.name: n for sd, n in response.context["backlog_by_sub_district"]}
    assert per == {org.sd.name: a_backlog, other_org.sd.name: b_backlog}
    body = response.content.decode()
    assert org.sd.name in body and other_org.sd.name in body
    assert "secret detail" in body
