"""Two people fire the same transition on the same notice at the same moment (Art. 11).

Through the HTTP views, one django.test.Client per thread, released together by a Barrier, 20
rounds with a fresh notice each: exactly one request wins (302), the other is told 409 (never a
500, never "database is locked"), and the transition leaves exactly one audit row.

PostgreSQL: the row lock in services._transition serializes the two; the loser re-reads the new
state and gets Conflict. SQLite: transaction_mode IMMEDIATE makes the loser wait for the write
lock (timeout 20 s) and then see the new state.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client
from django.urls import reverse

from core.models import AuditEvent, Role, WorkItem
from rectification import services
from rectification.models import Notice, NoticeCounter, NoticeState
from tests.factories import make_member
from tests.rectification.conftest import notice_input, page_fields

ROUNDS = 20
WIN, LOSE = 302, 409


def _race(posts: list[tuple[Client, str, dict]]) -> tuple[list[object], bool]:
    """Fire the POSTs at once, one thread each: the status code of each (or the exception), and
    whether the requests really overlapped in time."""
    barrier = threading.Barrier(len(posts))
    results: list[object] = [None] * len(posts)
    spans: list[tuple[float, float]] = [(0.0, 0.0)] * len(posts)

    def fire(i: int, client: Client, url: str, data: dict) -> None:
        try:
            barrier.wait(timeout=30)
            started = time.perf_counter()
            results[i] = client.post(url, data).status_code
            spans[i] = (started, time.perf_counter())
        except BaseException as exc:  # a 500 raises in the test client: record it
            results[i] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=fire, args=(i, *post), name=f"race-{i}")
        for i, post in enumerate(posts)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
        assert not t.is_alive(), f"{t.name} is stuck"
    overlapped = max(s for s, _ in spans) < min(e for _, e in spans)
    return results, overlapped


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _draft(org) -> Notice:
    return services.notice_create(
        acting_user=org.user(Role.OFFICE_STAFF), data=notice_input(org), target_id=org.community.pk
    )


def _issued(org) -> Notice:
    return services.notice_issue(notice_id=_draft(org).pk, acting_user=org.user(Role.OFFICE_STAFF))


def _measures_submitted(org) -> Notice:
    notice = _issued(org)
    staff = org.user(Role.COMMUNITY_STAFF)
    services.notice_reply(notice_id=notice.pk, acting_user=staff, text="已整改。")
    return services.notice_submit_measures(
        notice_id=notice.pk,
        acting_user=staff,
        measures=[services.MeasureInput("补齐会议记录", "张三", dt.date(2026, 12, 31))],
    )


def _second_office_user(org):
    return make_member(org.office, Role.OFFICE_STAFF, "A-office-2")


@dataclass(frozen=True)
class Scenario:
    """Who races, on what, and what the one winning transition leaves behind."""

    users: Callable  # org -> (user, user)
    prepare: Callable  # org -> Notice
    url_name: str
    data: tuple[dict, dict]
    event_type: str
    state: str
    open_items: list[str]


SCENARIOS = {
    # The community's staff member and its secretary both submit the written reply.
    "reply": Scenario(
        users=lambda org: (org.user(Role.COMMUNITY_STAFF), org.user(Role.COMMUNITY_SECRETARY)),
        prepare=_issued,
        url_name="notice_reply",
        data=({"text": "工作人员答复"}, {"text": "书记答复"}),
        event_type="notice.reply",
        state=NoticeState.REPLIED,
        open_items=[services.WI_MEASURES],
    ),
    # Two Office staff members verify the same measures.
    "verify": Scenario(
        users=lambda org: (org.user(Role.OFFICE_STAFF), _second_office_user(org)),
        prepare=_measures_submitted,
        url_name="notice_verify",
        data=({"comment": "同意销号"}, {"comment": "通过"}),
        event_type="notice.verify",
        state=NoticeState.VERIFIED,
        open_items=[],
    ),
    # Two Office staff members issue the same draft: one number is taken, none skipped.
    "issue": Scenario(
        users=lambda org: (org.user(Role.OFFICE_STAFF), _second_office_user(org)),
        prepare=_draft,
        url_name="notice_issue",
        data=({}, {}),
        event_type="notice.issue",
        state=NoticeState.ISSUED,
        open_items=[services.WI_REPLY],
    ),
}


def _events(notice: Notice, event_type: str) -> int:
    return AuditEvent.objects.filter(
        subject_type=ContentType.objects.get_for_model(Notice),
        subject_id=str(notice.pk),
        event_type=event_type,
    ).count()


def _open_items(notice: Notice) -> list[str]:
    return sorted(
        WorkItem.objects.filter(
            subject_type=ContentType.objects.get_for_model(Notice),
            subject_id=notice.pk,
            state="open",
        ).values_list("kind", flat=True)
    )


def _run_rounds(org, scenario: Scenario) -> None:
    first, second = (_client(u) for u in scenario.users(org))
    overlaps = 0
    for round_no in range(ROUNDS):
        notice = scenario.prepare(org)
        url = reverse(scenario.url_name, args=[notice.pk])
        # Both opened the case page before either acted: their forms name the same state.
        seen = page_fields(notice, scenario.url_name)
        results, overlapped = _race(
            [
                (first, url, {**seen, **scenario.data[0]}),
                (second, url, {**seen, **scenario.data[1]}),
            ]
        )
        overlaps += overlapped
        assert sorted(results, key=repr) == [WIN, LOSE], f"round {round_no}: {results!r}"
        notice.refresh_from_db()
        assert notice.state == scenario.state, f"round {round_no}"
        assert _events(notice, scenario.event_type) == 1, f"round {round_no}"
        assert _open_items(notice) == scenario.open_items, f"round {round_no}"
        if scenario.event_type == "notice.reply":
            assert notice.replies.count() == 1
        if scenario.event_type == "notice.issue":
            assert notice.number.endswith(f"-{round_no + 1:03d}"), notice.number
    if scenario.event_type == "notice.issue":
        assert NoticeCounter.objects.get().last == ROUNDS
    # The barrier releases both threads together; had the requests run one after the other every
    # time, the rounds would prove nothing about the race.
    assert overlaps >= ROUNDS // 2, f"only {overlaps}/{ROUNDS} rounds ran both requests together"


# --- PostgreSQL ----------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_postgres_same_transition_at_once(org, name):
    _run_rounds(org, SCENARIOS[name])


# --- SQLite --------------------------------------------------------------------------------------


@pytest.fixture
def sqlite_file_db(transactional_db, tmp_path):
    """Move the test database to a file for the duration of the test.

    pytest-django's SQLite test database is `file:memorydb_default?mode=memory&cache=shared`.
    Threads do share it, but a shared-cache database takes table locks that fail at once with
    SQLITE_LOCKED ("database table is locked", which the busy timeout does not wait on) and has no
    WAL: not what production runs. So copy the migrated (empty) in-memory database into a file with
    SQLite's backup API and point every connection at the file, which then gets WAL and
    BEGIN IMMEDIATE from the settings exactly as var/db.sqlite3 does.
    """
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    settings_dict = (
        connection.settings_dict
    )  # the same dict every thread's connection is built from
    memory_name = settings_dict["NAME"]
    assert connection.is_in_memory_db(), memory_name
    path = tmp_path / "race.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(path)
    connection.connection.backup(target)
    target.close()
    # Keep the in-memory connection aside: closing it would drop the in-memory database.
    memory_connection = connection.connection
    connection.connection = None
    settings_dict["NAME"] = str(path)
    try:
        yield path
    finally:
        connection.close()
        settings_dict["NAME"] = memory_name
        connection.connection = memory_connection


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_sqlite_same_transition_at_once(sqlite_file_db, org, name):
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
    _run_rounds(org, SCENARIOS[name])
