"""A verification reads one consistent snapshot: appends during it never look like a break.

PostgreSQL only: each writer thread has its own connection, and the verification runs in
autocommit mode as the nightly task and the `audit_verify` command do.
"""

import threading

import pytest
from django.db import connection, transaction

import core.audit
from core.audit import audit_record, verify_chain

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _record(n: int, label: str = "test") -> None:
    for i in range(n):
        with transaction.atomic():
            audit_record(event_type="test.event", job=f"{label}-{i}")


def _in_another_connection(target) -> None:
    errors: list[BaseException] = []

    def run():
        try:
            target()
        except BaseException as exc:  # reported to the main thread
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert errors == []


def test_rows_appended_while_the_rows_are_read_are_not_a_break(monkeypatch):
    # given a committed chain of five rows
    _record(5)
    assert not connection.in_atomic_block
    original = core.audit.compute_hash
    appended = []

    def compute_hash_then_append_once(**kwargs):
        # while the verification is half-way through the rows, another connection appends three
        if not appended:
            appended.append(True)
            _in_another_connection(lambda: _record(3, "during"))
        return original(**kwargs)

    monkeypatch.setattr(core.audit, "compute_hash", compute_hash_then_append_once)

    # when the chain is verified
    report = verify_chain()

    # then the verification saw the chain as it was when it started: intact, five rows
    assert appended
    assert report.ok, report.reason
    assert report.checked == 5
    monkeypatch.undo()
    # and the next verification sees all eight
    again = verify_chain()
    assert again.ok and again.checked == 8


def test_verifications_during_concurrent_appends_never_report_a_break():
    # given two writers appending continuously on their own connections
    _record(3)
    stop = threading.Event()
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            i = 0
            while not stop.is_set():
                with transaction.atomic():
                    audit_record(event_type="test.concurrent", job=f"writer-{n}-{i}")
                i += 1
        except BaseException as exc:  # reported to the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()

    # when the chain is verified again and again while they write
    try:
        reports = [verify_chain(chunk_size=7) for _ in range(25)]
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)

    # then no verification reported a break, and they saw the chain grow
    assert errors == []
    assert [r.reason for r in reports if not r.ok] == []
    final = verify_chain()
    assert final.ok, final.reason
    assert final.checked > 3
    assert final.checked >= max(r.checked for r in reports)
