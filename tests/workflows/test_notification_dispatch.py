"""Core records notifications and knows nothing of the app that delivers them: workflows
registers its delivery task as core.notifications' dispatcher (core → nothing of ours)."""

from __future__ import annotations

import ast
from pathlib import Path

from django.db import transaction

from core import notifications
from core.models import Notification, Role
from workflows import tasks

CORE = Path(__file__).resolve().parents[2] / "core"


def test_workflows_registers_its_delivery_task_as_the_dispatcher():
    # given / when: the apps are ready
    # then: core hands notification ids to workflows' task
    assert notifications.dispatcher() is tasks.queue_delivery


def test_no_module_of_core_names_workflows():
    # given: every module of core
    for path in CORE.rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        # then: none imports workflows, nor names one of its tasks in a string
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                assert not (node.module or "").startswith("workflows"), path
            elif isinstance(node, ast.Import):
                assert not any(a.name.startswith("workflows") for a in node.names), path
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                assert "workflows.tasks" not in node.value, path


def test_the_dispatcher_receives_the_ids_after_commit(org, django_capture_on_commit_callbacks):
    # given: a recording dispatcher instead of workflows' task
    org.user(Role.COMMUNITY_STAFF)
    received: list[list[int]] = []
    previous = notifications.set_dispatcher(received.append)
    try:
        # when: a notification is written in a transaction that commits
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            ids = notifications.notify(
                sub_district_id=org.sd.pk,
                unit_id=org.community.pk,
                verb="deadline.reminder_1",
                title="联系单",
            )
            # then: nothing is dispatched before the commit
            assert received == []
    finally:
        notifications.set_dispatcher(previous)

    # then: the dispatcher got exactly the rows written
    assert ids and received == [ids]


def test_without_a_dispatcher_the_rows_wait_in_the_outbox(org, django_capture_on_commit_callbacks):
    # given: no dispatcher registered
    org.user(Role.COMMUNITY_STAFF)
    previous = notifications.set_dispatcher(None)
    try:
        # when
        with django_capture_on_commit_callbacks(execute=True):
            ids = notifications.notify(
                sub_district_id=org.sd.pk,
                unit_id=org.community.pk,
                verb="deadline.reminder_1",
                title="联系单",
            )
    finally:
        notifications.set_dispatcher(previous)

    # then: recorded, not delivered (workflows' redelivery picks them up once it runs)
    assert Notification.objects.filter(pk__in=ids, delivered_at__isnull=True).count() == len(ids)
