"""The audit trail: one row per change, hash-chained, append-only in the database (issue 2, item 4).

Covers core.audit (audit_record, verify_chain), the triggers of migration 0002, the `flush` and
`audit_verify` commands, and the login/logout/lockout auditing of core.signals.
"""

import threading
from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from core.audit import GENESIS_HASH, AuditOutsideTransaction, audit_record, verify_chain
from core.models import AuditChainHead, AuditEvent, Role, SubDistrict, Unit
from tests.factories import PASSWORD, SubDistrictFactory

pytestmark = pytest.mark.django_db


def _record(n: int = 1, **kwargs) -> list[AuditEvent]:
    """Append n events, each in its own transaction (as a view or a service would)."""
    events = []
    for i in range(n):
        with transaction.atomic():
            events.append(
                audit_record(**{"event_type": "test.event", "job": f"test-{i}", **kwargs})
            )
    return events


def _pg_bypass_triggers(sql: str, params: list) -> None:
    """Tamper with the table as a superuser would, past the append-only triggers."""
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        try:
            cursor.execute(sql, params)
        finally:
            cursor.execute("SET session_replication_role = DEFAULT")


# --- audit_record and the chain ------------------------------------------------------------------


def test_audit_record_writes_one_row_with_its_content(org):
    # given an office user changing a community unit
    user = org.user(Role.OFFICE_STAFF)
    unit = org.community
    before = {"score": Decimal("12.50"), "due": date(2026, 3, 31), "name": "旧名称"}
    after = {"score": Decimal("7.25"), "due": date(2026, 4, 30), "name": "新名称"}
    count_before = AuditEvent.objects.count()

    # when the change is audited
    with transaction.atomic():
        event = audit_record(
            event_type="unit.update",
            actor=user,
            subject=unit,
            before=before,
            after=after,
            ip="203.0.113.9",
        )

    # then exactly one row holds who, where, what and the values, as read back from the database
    assert AuditEvent.objects.count() == count_before + 1
    row = AuditEvent.objects.get(pk=event.pk)
    assert row.event_type == "unit.update"
    assert row.actor == user
    assert row.actor_label == user.username
    assert row.sub_district == org.sd
    assert row.subject_type == ContentType.objects.get_for_model(Unit)
    assert row.subject_id == str(unit.pk)
    assert row.subject_repr == str(unit)
    assert row.ip == "203.0.113.9"
    # Decimals and dates come back as their exact text, not as rounded floats
    assert Decimal(row.before["score"]) == Decimal("12.50")
    assert date.fromisoformat(row.before["due"]) == date(2026, 3, 31)
    assert Decimal(row.after["score"]) == Decimal("7.25")
    assert date.fromisoformat(row.after["due"]) == date(2026, 4, 30)
    assert row.after["name"] == "新名称"
    # and the hash stored for it matches its content as the database returns it
    assert verify_chain().ok


def test_audit_rows_form_a_chain_from_the_genesis_hash(org):
    # given an empty audit trail
    assert not AuditEvent.objects.exists()

    # when three changes are audited one after another
    first, second, third = _record(3, actor=org.user(Role.ADMIN), subject=org.office)

    # then the first row hangs off the genesis hash and each next row off its predecessor
    rows = list(AuditEvent.objects.order_by("id"))
    assert [r.pk for r in rows] == [first.pk, second.pk, third.pk]
    assert rows[0].prev_hash == GENESIS_HASH
    assert rows[1].prev_hash == rows[0].hash
    assert rows[2].prev_hash == rows[1].hash
    assert len({r.hash for r in rows}) == 3
    # and the chain verifies, counting every row
    report = verify_chain()
    assert report.ok, report.reason
    assert report.checked == 3
    assert report.broken_id is None


@pytest.mark.django_db(transaction=True)
def test_audit_record_outside_a_transaction_is_refused_and_writes_nothing():
    # given autocommit mode: no transaction.atomic() around the call
    assert not connection.in_atomic_block
    count_before = AuditEvent.objects.count()

    # when something is audited there
    with pytest.raises(AuditOutsideTransaction):
        audit_record(event_type="test.event", job="outside")

    # then no row was written
    assert AuditEvent.objects.count() == count_before


# --- Append-only in the database -----------------------------------------------------------------


def test_orm_update_of_an_audit_row_is_refused_by_the_database(org):
    # given an audit row (SQLite and PostgreSQL both have the triggers of migration 0002)
    (event,) = _record(subject=org.community)
    original = AuditEvent.objects.get(pk=event.pk)

    # when someone rewrites it through the ORM
    with pytest.raises(DatabaseError) as excinfo, transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(subject_repr="forged", after={"x": 1})

    # then the database refuses and the row is unchanged
    assert "append-only" in str(excinfo.value)
    row = AuditEvent.objects.get(pk=event.pk)
    assert (row.subject_repr, row.after, row.hash) == (
        original.subject_repr,
        original.after,
        original.hash,
    )
    assert verify_chain().ok


def test_orm_delete_of_an_audit_row_is_refused_by_the_database(org):
    # given two audit rows
    first, second = _record(2, subject=org.community)

    # when someone deletes one through the ORM, or all of them
    with pytest.raises(DatabaseError) as one, transaction.atomic():
        AuditEvent.objects.filter(pk=first.pk).delete()
    with pytest.raises(DatabaseError) as every, transaction.atomic():
        AuditEvent.objects.all().delete()

    # then the database refuses both and the rows are still there
    assert "append-only" in str(one.value)
    assert "append-only" in str(every.value)
    assert set(AuditEvent.objects.values_list("pk", flat=True)) == {first.pk, second.pk}
    assert verify_chain().ok


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_truncate_of_the_audit_table_is_refused_on_postgresql():
    # given committed audit rows (TRUNCATE refuses tables with pending FK checks of its own
    # transaction, which would hide the trigger)
    events = _record(2)

    # when someone truncates the table in SQL
    with pytest.raises(DatabaseError) as excinfo, connection.cursor() as cursor:
        cursor.execute("TRUNCATE core_auditevent")

    # then the trigger refuses it (not some other error) and the rows are still there
    assert "append-only" in str(excinfo.value)
    assert AuditEvent.objects.count() == len(events)


# --- Tampering is detected -----------------------------------------------------------------------


# Every column the hash covers, each with an SQL expression that changes it.
TAMPERED_COLUMNS = [
    ("subject_repr", "'x'"),
    ("event_type", "'forged.event'"),
    ("actor_label", "'someone-else'"),
    ("actor_id", "NULL"),
    ("sub_district_id", "NULL"),
    ("subject_id", "'999'"),
    ("created_at", "created_at + interval '1 second'"),
    ("before", "NULL"),
    ("after", '\'{"score": "99.00"}\'::jsonb'),
    ("ip", "'192.0.2.1'"),
]


@pytest.mark.postgres
@pytest.mark.parametrize(("column", "expression"), TAMPERED_COLUMNS)
def test_a_row_changed_behind_the_triggers_is_named_by_audit_verify(org, column, expression):
    # given a chain of three rows, the middle one rewritten with the triggers switched off
    _first, second, _third = _record(
        3,
        actor=org.user(Role.OFFICE_STAFF),
        subject=org.community,
        before={"score": Decimal("1.50")},
        after={"score": Decimal("2.50")},
        ip="203.0.113.9",
    )
    _pg_bypass_triggers(
        f"UPDATE core_auditevent SET {column} = {expression} WHERE id = %s", [second.pk]
    )

    # when the chain is verified
    report = verify_chain()
    with pytest.raises(CommandError) as excinfo:
        call_command("audit_verify", stdout=StringIO())

    # then the rewritten row is the one reported, both by verify_chain and by the command
    assert not report.ok
    assert report.broken_id == second.pk
    assert report.checked == 1
    assert f"id={second.pk}:" in str(excinfo.value)


@pytest.mark.postgres
def test_a_row_deleted_from_the_middle_behind_the_triggers_is_detected():
    # given a chain of three rows, the middle one deleted with the triggers switched off
    _first, second, third = _record(3)
    _pg_bypass_triggers("DELETE FROM core_auditevent WHERE id = %s", [second.pk])

    # when the chain is verified
    report = verify_chain()

    # then the row after the gap no longer links to its predecessor
    assert not report.ok
    assert report.broken_id == third.pk
    with pytest.raises(CommandError, match=f"id={third.pk}:"):
        call_command("audit_verify", stdout=StringIO())


@pytest.mark.postgres
def test_the_last_row_deleted_behind_the_triggers_is_detected_by_the_chain_head():
    # given a chain of three rows, the last one deleted with the triggers switched off
    _first, second, third = _record(3)
    _pg_bypass_triggers("DELETE FROM core_auditevent WHERE id = %s", [third.pk])

    # when the chain is verified
    report = verify_chain()

    # then the remaining rows are intact, but the chain head says one is missing at the end
    assert not report.ok
    assert report.checked == 2
    assert report.broken_id == second.pk
    assert "chain head expects 3 rows" in report.reason
    with pytest.raises(CommandError, match="chain head"):
        call_command("audit_verify", stdout=StringIO())


def test_audit_verify_reports_an_intact_chain_with_its_row_count():
    # given an intact chain of four rows
    _record(4)
    out = StringIO()

    # when the command runs
    call_command("audit_verify", stdout=out)

    # then it exits normally and says how many rows it checked
    assert "audit chain intact: 4 rows verified" in out.getvalue()


# --- Concurrent writers --------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_neither_fail_nor_fork_the_chain():
    # given eight writers, each about to audit five changes at the same moment
    threads_n, per_thread = 8, 5
    count_before = AuditEvent.objects.count()
    barrier = threading.Barrier(threads_n, timeout=30)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            barrier.wait()
            for i in range(per_thread):
                with transaction.atomic():
                    audit_record(event_type="test.concurrent", job=f"writer-{n}-{i}")
        except BaseException as exc:  # reported to the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(threads_n)]

    # when they all run at once
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # then every write succeeded, none is missing and the chain did not fork
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    assert AuditEvent.objects.count() == count_before + threads_n * per_thread
    report = verify_chain()
    assert report.ok, report.reason
    assert report.checked == count_before + threads_n * per_thread
    prev_hashes = list(AuditEvent.objects.values_list("prev_hash", flat=True))
    assert len(set(prev_hashes)) == len(prev_hashes)


# --- flush (the test runner's way to empty the database) -----------------------------------------


@pytest.mark.django_db(transaction=True)
def test_flush_empties_the_audit_trail_when_allowed_and_the_chain_restarts(settings):
    # given audit rows, in the test settings that allow flushing
    assert settings.AUDIT_ALLOW_FLUSH is True
    _record(3)

    # when the database is flushed
    call_command("flush", interactive=False, stdout=StringIO())

    # then the audit trail and its head are empty, and the next row starts from the genesis hash
    assert AuditEvent.objects.count() == 0
    assert not AuditChainHead.objects.exists()
    (event,) = _record()
    assert event.prev_hash == GENESIS_HASH
    report = verify_chain()
    assert report.ok and report.checked == 1


@pytest.mark.django_db(transaction=True)
def test_flush_is_refused_when_not_allowed_and_leaves_the_rows(settings):
    # given audit rows and other data, with flushing not allowed (as in production)
    events = _record(3)
    sub_district = SubDistrictFactory()
    settings.AUDIT_ALLOW_FLUSH = False

    # when the database is flushed
    with pytest.raises(CommandError):
        call_command("flush", interactive=False, stdout=StringIO())

    # then the whole flush was rolled back: the other tables, the rows and the chain are intact
    assert not connection.in_atomic_block
    assert SubDistrict.objects.filter(pk=sub_district.pk).exists()
    assert list(AuditEvent.objects.order_by("id").values_list("pk", flat=True)) == [
        e.pk for e in events
    ]
    report = verify_chain()
    assert report.ok and report.checked == 3


# --- Logins, logouts, failed logins and lockouts -------------------------------------------------

IP = "198.51.100.23"


def _events(event_type: str):
    return AuditEvent.objects.filter(event_type=event_type).order_by("id")


def _login(client, username: str, password: str, ip: str = IP):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def test_a_login_is_audited_with_the_user_and_the_request_ip(client, org):
    # given a user with the right password
    user = org.user(Role.COMMUNITY_STAFF)

    # when they log in through the login form
    response = _login(client, user.username, PASSWORD)

    # then they are in, and one login event names them and their address
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
    (event,) = _events("auth.login")
    assert event.actor == user
    assert event.ip == IP
    assert event.sub_district == org.sd
    assert verify_chain().ok


def test_a_logout_is_audited(client, org):
    # given a user who logged in through the form
    user = org.user(Role.LEADER)
    assert _login(client, user.username, PASSWORD).status_code == 302

    # when they log out
    response = client.post(reverse("logout"), REMOTE_ADDR=IP)

    # then a logout event names them
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    (event,) = _events("auth.logout")
    assert event.actor == user
    assert event.ip == IP


def test_a_failed_login_is_audited_with_the_username_tried(client, org):
    # given a user
    user = org.user(Role.OFFICE_STAFF)

    # when someone tries their username with a wrong password
    response = _login(client, user.username, "wrong-password")

    # then they are not in, and a failed-login event records the username tried and the address
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert not _events("auth.login").exists()
    (event,) = _events("auth.login_failed")
    assert event.actor is None
    assert event.actor_label == user.username
    assert event.ip == IP
    assert event.sub_district == org.sd


def test_five_wrong_passwords_lock_the_account_and_the_lockout_is_audited(client, org):
    # given a user
    user = org.user(Role.DEPT_ASSESSOR)

    # when four wrong passwords are tried, then a fifth
    for _ in range(4):
        assert _login(client, user.username, "wrong-password").status_code == 200
    assert not _events("auth.lockout").exists()
    fifth = _login(client, user.username, "wrong-password")

    # then the fifth gets the lockout page and the lockout is audited
    assert fifth.status_code == 429
    assert "registration/locked_out.html" in [t.name for t in fifth.templates]
    lockout = _events("auth.lockout").first()
    assert lockout is not None
    assert lockout.actor is None
    assert lockout.actor_label == user.username
    assert lockout.ip == IP
    assert _events("auth.login_failed").count() == 5

    # and even the right password, from another address, no longer gets in
    right = _login(client, user.username, PASSWORD, ip="192.0.2.50")
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session
    assert not _events("auth.login").exists()
    assert verify_chain().ok


@pytest.mark.parametrize(
    ("given", "stored"),
    [("2001:DB8::1", "2001:db8::1"), ("::ffff:10.0.0.1", "::ffff:10.0.0.1"), ("nonsense", None)],
)
def test_request_ip_is_hashed_as_stored_so_the_row_verifies(org, given, stored):
    # given an address in a form the database rewrites (or something that is no address)
    with transaction.atomic():
        event = audit_record(event_type="test.ip", job="t", ip=given)
    # then the row holds the stored form and the untouched chain verifies
    event.refresh_from_db()
    assert event.ip == stored
    assert verify_chain().ok


def test_float_values_survive_the_json_round_trip(org):
    # given before/after with floats PostgreSQL's jsonb would rewrite (1e20 → an integer)
    with transaction.atomic():
        audit_record(event_type="test.float", job="t", before={"x": 1e20}, after={"y": 0.1})
    # then the untouched chain verifies on every database
    assert verify_chain().ok


@pytest.mark.django_db(transaction=True)
def test_a_lost_trigger_is_reported_by_audit_verify_and_restored_after_migrate():
    # SQLite rebuilds a table for an AlterField and the rebuilt table has no triggers: the
    # triggers are ensured after every migrate, and audit_verify refuses to call the chain
    # intact while one is missing.
    from core.audit_guard import PG_TRIGGERS, SQLITE_TRIGGERS, ensure_triggers, missing_triggers

    names = SQLITE_TRIGGERS if connection.vendor == "sqlite" else PG_TRIGGERS
    victim = sorted(names)[0]
    # given the triggers are all there after migrate
    assert missing_triggers(connection) == []
    # when one is lost
    with connection.cursor() as cursor:
        suffix = "" if connection.vendor == "sqlite" else " ON core_auditevent"
        cursor.execute(f"DROP TRIGGER {victim}{suffix}")
    try:
        # then audit_verify names it
        with pytest.raises(CommandError, match=victim):
            call_command("audit_verify", stdout=StringIO())
    finally:
        # and the post-migrate guard puts it back
        assert ensure_triggers(connection) == [victim]
    assert missing_triggers(connection) == []
