"""Tampering by someone holding the application's database credentials is detected.

`audit_verify` names a flush-permit row left in place and a trigger that is missing, disabled or
defused; signed checkpoints kept outside the database (`--checkpoints FILE`) name a history that was
rewritten or truncated with every hash and the chain head recomputed, and a forged checkpoint.

On PostgreSQL each tamper is done as a non-superuser role that owns the application's tables and
the trigger functions, as the application's own role does after `migrate` (it may disable the
triggers of its own table). On SQLite the tamper goes through the flush-permit table.
"""

import hashlib
import hmac
import json
import uuid
from contextlib import contextmanager
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from core.audit import GENESIS_HASH, audit_record, compute_hash, verify_chain
from core.models import AuditChainHead, AuditEvent

pytestmark = pytest.mark.django_db


def _record(n: int = 1) -> list[AuditEvent]:
    events = []
    for i in range(n):
        with transaction.atomic():
            events.append(audit_record(event_type="test.event", job=f"test-{i}", after={"i": i}))
    return events


def _sql(sql: str, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchall() if cursor.description else None


class Attacker:
    """Someone with the application's database credentials (its role on PostgreSQL)."""

    def __init__(self, role: str | None):
        self.role = role

    @contextmanager
    def unguarded(self):
        """Get past the append-only triggers, then put everything back as it was."""
        if connection.vendor == "postgresql":
            _sql("SET CONSTRAINTS ALL IMMEDIATE")  # ALTER TABLE refuses pending trigger events
            _sql("ALTER TABLE core_auditevent DISABLE TRIGGER core_auditevent_no_update_delete")
            yield
            _sql("SET CONSTRAINTS ALL IMMEDIATE")
            _sql("ALTER TABLE core_auditevent ENABLE TRIGGER core_auditevent_no_update_delete")
        else:
            _sql("INSERT INTO core_audit_flush_permit (id) VALUES (1)")
            yield
            _sql("DELETE FROM core_audit_flush_permit")

    def rewrite(self, event: AuditEvent, **changes) -> None:
        """Change one row and recompute every following hash and the chain head."""
        prev = (
            AuditEvent.objects.filter(pk__lt=event.pk)
            .order_by("-id")
            .values_list("hash", flat=True)
            .first()
        ) or GENESIS_HASH
        with self.unguarded():
            AuditEvent.objects.filter(pk=event.pk).update(**changes)
            for row in AuditEvent.objects.filter(pk__gte=event.pk).order_by("id"):
                digest = _hash_of(row, prev)
                AuditEvent.objects.filter(pk=row.pk).update(prev_hash=prev, hash=digest)
                prev = digest
        AuditChainHead.objects.filter(pk=1).update(last_hash=prev)

    def truncate(self, n: int) -> None:
        """Delete the newest n rows and set the chain head back to the row before them."""
        with self.unguarded():
            newest = list(AuditEvent.objects.order_by("-id").values_list("pk", flat=True)[:n])
            AuditEvent.objects.filter(pk__in=newest).delete()
        last = AuditEvent.objects.order_by("-id").first()
        AuditChainHead.objects.filter(pk=1).update(
            last_hash=last.hash, last_event_id=last.pk, count=AuditEvent.objects.count()
        )


def _hash_of(row: AuditEvent, prev: str) -> str:
    ct = row.subject_type
    return compute_hash(
        prev_hash=prev,
        event_type=row.event_type,
        sub_district_id=row.sub_district_id,
        actor_id=row.actor_id,
        actor_label=row.actor_label,
        subject_type=f"{ct.app_label}.{ct.model}" if ct else "",
        subject_id=row.subject_id,
        subject_repr=row.subject_repr,
        created_at=row.created_at,
        before=row.before,
        after=row.after,
        ip=row.ip,
    )


@pytest.fixture
def attacker(db):
    """On PostgreSQL: switch this test's connection to a fresh non-superuser role that owns every
    table and the trigger functions (created inside the test's transaction: all rolled back)."""
    if connection.vendor != "postgresql":
        yield Attacker(None)
        return
    role = f"dj_audit_app_{uuid.uuid4().hex[:10]}"
    _sql("SET CONSTRAINTS ALL IMMEDIATE")
    _sql(f'CREATE ROLE "{role}" NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS')
    for table in connection.introspection.table_names():
        _sql(f'ALTER TABLE "{table}" OWNER TO "{role}"')
    for function in ("core_auditevent_refuse()", "core_auditevent_refuse_row()"):
        _sql(f'ALTER FUNCTION {function} OWNER TO "{role}"')
    _sql(f'GRANT USAGE, CREATE ON SCHEMA public TO "{role}"')
    _sql(f'SET ROLE "{role}"')
    assert _sql("SELECT rolsuper FROM pg_roles WHERE rolname = current_user") == [(False,)]
    try:
        yield Attacker(role)
    finally:
        _sql("RESET ROLE")


@pytest.fixture
def checkpoint_file(settings, tmp_path):
    path = tmp_path / "audit-checkpoints.jsonl"
    settings.AUDIT_CHECKPOINT_FILE = str(path)
    return path


def _verify(*args, **options) -> str:
    out = StringIO()
    call_command("audit_verify", *args, stdout=out, **options)
    return out.getvalue()


def _refused(*args, **options) -> str:
    with pytest.raises(CommandError) as excinfo:
        _verify(*args, **options)
    message = str(excinfo.value)
    assert "\n" not in message.strip()
    return message


def _checkpoint(path) -> dict:
    _verify(write_checkpoint=True)
    return json.loads(path.read_text().splitlines()[-1])


# --- The guards of the table ---------------------------------------------------------------------


def test_a_permit_row_left_in_the_flush_permit_table_is_reported(attacker):
    # given an intact chain and a flush-permit row committed by someone (no flush is running)
    _record(3)
    _sql("INSERT INTO core_audit_flush_permit (id) VALUES (7)")

    # when the chain is verified
    message = _refused()

    # then the permit is named: it lets anyone update and delete audit rows
    assert "core_audit_flush_permit" in message
    assert "permit" in message


@pytest.mark.django_db(transaction=True)
def test_the_test_flush_still_empties_the_table_and_leaves_no_permit_behind(settings):
    # given audit rows, in the test settings that allow flushing
    assert settings.AUDIT_ALLOW_FLUSH is True
    _record(2)

    # when the database is flushed, then verified
    call_command("flush", interactive=False, stdout=StringIO())
    _record(1)

    # then the permit was only ever inside the flush's transaction
    assert "audit chain intact: 1 rows verified" in _verify()


@pytest.mark.postgres
@pytest.mark.parametrize(
    "trigger", ["core_auditevent_no_update_delete", "core_auditevent_no_truncate"]
)
def test_a_disabled_trigger_is_reported(attacker, trigger):
    # given an intact chain whose table owner disabled one of its triggers
    _record(3)
    _sql("SET CONSTRAINTS ALL IMMEDIATE")
    _sql(f"ALTER TABLE core_auditevent DISABLE TRIGGER {trigger}")
    assert _sql("SELECT tgenabled FROM pg_trigger WHERE tgname = %s", [trigger]) == [("D",)]

    # when the chain is verified
    message = _refused()

    # then the trigger is named as disabled
    assert trigger in message
    assert "disabled" in message


@pytest.mark.postgres
def test_a_trigger_set_to_fire_only_on_replicas_is_reported(attacker):
    # given the row trigger switched to replica-only (it never fires for the application)
    _record(2)
    _sql("SET CONSTRAINTS ALL IMMEDIATE")
    _sql("ALTER TABLE core_auditevent ENABLE REPLICA TRIGGER core_auditevent_no_update_delete")

    # then audit_verify names it
    message = _refused()
    assert "core_auditevent_no_update_delete" in message
    assert "disabled" in message


@pytest.mark.postgres
def test_a_trigger_function_replaced_to_let_changes_through_is_reported(attacker):
    # given the row trigger's function rewritten by its owner so that it allows every change
    _record(2)
    _sql(
        """CREATE OR REPLACE FUNCTION core_auditevent_refuse_row() RETURNS trigger
           LANGUAGE plpgsql AS $$ BEGIN IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
           RETURN NEW; END; $$"""
    )

    # then audit_verify names the function
    message = _refused()
    assert "core_auditevent_refuse_row" in message


@pytest.mark.postgres
@pytest.mark.parametrize("schema", ["pg_temp", "own"])
def test_a_permit_table_of_the_sessions_own_does_not_open_the_audit_table(attacker, schema):
    # given a table named like the flush permit, holding a row, earlier on the session's path:
    # a temporary table (pg_temp is searched first) or one in a schema of the attacker's own
    event = _record(1)[0]
    if schema == "pg_temp":
        _sql("CREATE TEMP TABLE core_audit_flush_permit (id integer)")
        _sql("INSERT INTO pg_temp.core_audit_flush_permit VALUES (1)")
    else:
        # (an application role that owns its database may create schemas)
        _sql("RESET ROLE")
        _sql(f'CREATE SCHEMA tamper AUTHORIZATION "{attacker.role}"')
        _sql(f'SET ROLE "{attacker.role}"')
        _sql("CREATE TABLE tamper.core_audit_flush_permit (id integer)")
        _sql("INSERT INTO tamper.core_audit_flush_permit VALUES (1)")
        _sql("SET LOCAL search_path = tamper, public")

    # when the attacker rewrites a row, then the trigger still refuses it
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _sql("UPDATE public.core_auditevent SET actor_label = 'x' WHERE id = %s", [event.pk])


@pytest.mark.postgres
def test_a_trigger_function_without_its_fixed_search_path_is_reported(attacker):
    # given the owner resets the search path pinned on the row trigger's function
    _record(2)
    _sql("ALTER FUNCTION core_auditevent_refuse_row() RESET search_path")

    # then audit_verify names the function and what it lost
    message = _refused()
    assert "core_auditevent_refuse_row" in message and "search path" in message


@pytest.mark.postgres
def test_a_dropped_trigger_function_is_reported(attacker):
    # given the truncate trigger and its function dropped by their owner
    _record(2)
    _sql("SET CONSTRAINTS ALL IMMEDIATE")
    _sql("DROP FUNCTION core_auditevent_refuse() CASCADE")

    # then audit_verify names what is missing
    message = _refused()
    assert "core_auditevent_no_truncate" in message or "core_auditevent_refuse()" in message


@pytest.mark.postgres
def test_a_trigger_recreated_with_a_condition_that_never_holds_is_reported(attacker):
    # given the row trigger dropped and recreated under its name, but firing never
    _record(2)
    _sql("SET CONSTRAINTS ALL IMMEDIATE")
    _sql("DROP TRIGGER core_auditevent_no_update_delete ON core_auditevent")
    _sql(
        "CREATE TRIGGER core_auditevent_no_update_delete BEFORE UPDATE OR DELETE ON "
        "core_auditevent FOR EACH ROW WHEN (false) EXECUTE FUNCTION core_auditevent_refuse_row()"
    )

    # then audit_verify names the trigger
    message = _refused()
    assert "core_auditevent_no_update_delete" in message


@pytest.mark.skipif("connection.vendor != 'sqlite'")
def test_a_sqlite_trigger_replaced_by_one_that_never_fires_is_reported():
    # given the update trigger replaced by one under the same name that never refuses
    _record(2)
    _sql("DROP TRIGGER core_auditevent_no_update")
    _sql(
        "CREATE TRIGGER core_auditevent_no_update BEFORE UPDATE ON core_auditevent WHEN 0 "
        "BEGIN SELECT RAISE(ABORT, 'core_auditevent is append-only: UPDATE refused'); END"
    )

    # then audit_verify names the trigger
    message = _refused()
    assert "core_auditevent_no_update" in message


def test_an_intact_chain_with_its_guards_verifies(attacker):
    _record(3)
    assert "audit chain intact: 3 rows verified" in _verify()


# --- Checkpoints outside the database ------------------------------------------------------------


def test_a_checkpoint_holds_the_head_and_is_appended_to_the_file(checkpoint_file, settings):
    # given a chain of four rows and a file that already holds a line
    events = _record(4)
    checkpoint_file.write_text("earlier line kept as it is\n")

    # when a checkpoint is written
    cp = _checkpoint(checkpoint_file)

    # then one line was appended, naming the last row, its hash, the count and the time, signed
    lines = checkpoint_file.read_text().splitlines()
    assert lines[0] == "earlier line kept as it is"
    assert len(lines) == 2
    assert cp["last_id"] == events[-1].pk
    assert cp["hash"] == AuditEvent.objects.get(pk=events[-1].pk).hash
    assert cp["count"] == 4
    assert cp["chain"] == AuditEvent.objects.get(pk=events[0].pk).hash
    assert cp["at"].endswith("+08:00")
    assert len(cp["sig"]) == 64


def test_the_signature_is_hmac_sha256_with_the_documented_key(checkpoint_file, settings):
    # given no AUDIT_KEY: the key is derived from SECRET_KEY with a fixed label (README)
    settings.AUDIT_KEY = ""
    _record(2)
    cp = _checkpoint(checkpoint_file)
    key = hmac.new(
        settings.SECRET_KEY.encode(), b"dangjian.audit-checkpoint.v1", hashlib.sha256
    ).digest()
    body = {k: v for k, v in cp.items() if k != "sig"}
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))

    # then anyone holding SECRET_KEY can check the signature by hand
    assert cp["sig"] == hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()


def test_checkpoints_of_an_intact_chain_verify_as_it_grows(checkpoint_file):
    # given checkpoints written as the chain grew, and rows appended since the last one
    _record(3)
    _checkpoint(checkpoint_file)
    _record(2)
    _checkpoint(checkpoint_file)
    _record(4)

    # when the chain is verified against the file
    out = _verify(checkpoints=str(checkpoint_file))

    # then it is intact and every checkpoint matched
    assert "audit chain intact: 9 rows verified" in out
    assert "2 checkpoints" in out


def test_history_rewritten_with_every_hash_recomputed_is_reported_by_checkpoints(
    attacker, checkpoint_file
):
    # given two checkpoints (after rows 5 and 10), then a row before the first one rewritten
    # with every following hash and the chain head recomputed
    events = _record(5)
    _checkpoint(checkpoint_file)
    events += _record(5)
    _checkpoint(checkpoint_file)
    events += _record(3)
    attacker.rewrite(events[2], subject_repr="forged", after={"i": 99})
    assert verify_chain().ok  # the chain alone cannot tell

    # when the chain is verified against the checkpoints
    message = _refused(checkpoints=str(checkpoint_file))

    # then the first checkpoint whose row changed is named, with its row
    assert "line 1" in message
    assert f"id={events[4].pk}" in message


def test_a_rewrite_after_the_first_checkpoint_is_bounded_by_the_one_still_matching(
    attacker, checkpoint_file
):
    events = _record(4)
    _checkpoint(checkpoint_file)
    events += _record(4)
    _checkpoint(checkpoint_file)
    attacker.rewrite(events[5], event_type="forged.event")

    message = _refused(checkpoints=str(checkpoint_file))

    assert "line 2" in message
    assert f"id={events[7].pk}" in message
    assert f"after row id={events[3].pk}" in message  # line 1 still matches


def test_the_newest_rows_deleted_with_the_head_adjusted_is_reported_by_checkpoints(
    attacker, checkpoint_file
):
    # given a checkpoint after 12 rows, then the newest 5 deleted and the head set back
    events = _record(12)
    _checkpoint(checkpoint_file)
    attacker.truncate(5)
    assert verify_chain().ok  # the chain alone cannot tell

    # when the chain is verified against the checkpoints
    message = _refused(checkpoints=str(checkpoint_file))

    # then the checkpoint and its vanished row are named
    assert "line 1" in message
    assert f"id={events[-1].pk}" in message
    assert "12" in message


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda cp: {**cp, "count": cp["count"] - 5}, id="count-changed"),
        pytest.param(lambda cp: {**cp, "hash": "f" * 64}, id="hash-changed"),
        pytest.param(lambda cp: {**cp, "sig": "0" * 64}, id="signature-made-up"),
    ],
)
def test_a_forged_checkpoint_line_is_reported(checkpoint_file, forge):
    # given a genuine checkpoint, then a line forged from it appended to the file
    _record(6)
    cp = _checkpoint(checkpoint_file)
    with checkpoint_file.open("a") as f:
        f.write(json.dumps(forge(cp)) + "\n")

    # when the chain is verified against the file
    message = _refused(checkpoints=str(checkpoint_file))

    # then the forged line is named
    assert "line 2" in message
    assert "forged" in message


def test_a_checkpoint_signed_with_another_key_is_reported_as_forged(checkpoint_file, settings):
    _record(3)
    settings.AUDIT_KEY = "the-key-of-another-installation"
    _checkpoint(checkpoint_file)
    settings.AUDIT_KEY = "our-own-audit-key"

    message = _refused(checkpoints=str(checkpoint_file))

    assert "line 1" in message
    assert "forged" in message


def test_an_unreadable_checkpoint_line_is_reported(checkpoint_file):
    _record(2)
    _checkpoint(checkpoint_file)
    with checkpoint_file.open("a") as f:
        f.write("{not json\n")

    message = _refused(checkpoints=str(checkpoint_file))

    assert "line 2" in message


def test_a_missing_checkpoint_file_is_an_error_not_a_pass(tmp_path):
    _record(1)
    message = _refused(checkpoints=str(tmp_path / "nowhere.jsonl"))
    assert "nowhere.jsonl" in message


# --- The schedules -------------------------------------------------------------------------------


def test_the_checkpoint_task_appends_a_line_and_mails_it_to_the_admins(checkpoint_file, settings):
    from workflows.tasks import audit_checkpoint_task

    # given administrators to mail and a chain of three rows
    settings.ADMINS = [("Admin", "admin@example.org")]
    _record(3)

    # when the scheduled checkpoint runs
    result = audit_checkpoint_task()

    # then the checkpoint is in the file and in the administrators' mail
    line = checkpoint_file.read_text().splitlines()[-1]
    assert json.loads(line)["count"] == 3
    assert "checkpoint" in result
    (message,) = mail.outbox
    assert message.to == ["admin@example.org"]
    assert line in message.body


def test_the_checkpoint_task_refuses_to_anchor_a_chain_that_left_the_last_checkpoint(
    attacker, checkpoint_file, settings
):
    from workflows.tasks import audit_checkpoint_task

    # given a checkpoint, then the newest rows deleted with the head adjusted
    settings.ADMINS = [("Admin", "admin@example.org")]
    events = _record(8)
    audit_checkpoint_task()
    mail.outbox.clear()
    attacker.truncate(3)

    # when the scheduled checkpoint runs again
    result = audit_checkpoint_task()

    # then it signs nothing new and alarms the administrators, naming the row
    assert len(checkpoint_file.read_text().splitlines()) == 1
    assert f"id={events[-1].pk}" in result
    (message,) = mail.outbox
    assert f"id={events[-1].pk}" in message.body


def test_the_nightly_check_reports_a_permit_row_and_writes_no_checkpoint(checkpoint_file, settings):
    from workflows.tasks import audit_verify_task

    settings.ADMINS = [("Admin", "admin@example.org")]
    _record(2)
    _sql("INSERT INTO core_audit_flush_permit (id) VALUES (1)")

    result = audit_verify_task()

    assert "core_audit_flush_permit" in result
    assert not checkpoint_file.exists()
    (message,) = mail.outbox
    assert "core_audit_flush_permit" in message.body


def test_the_nightly_check_verifies_the_checkpoints_then_writes_one(checkpoint_file, attacker):
    from workflows.tasks import audit_verify_task

    # given a checkpoint and a chain that still matches it
    _record(3)
    _checkpoint(checkpoint_file)
    _record(2)

    # when the nightly check runs, a checkpoint of the verified head follows it
    assert audit_verify_task().startswith("audit chain intact")
    assert json.loads(checkpoint_file.read_text().splitlines()[-1])["count"] == 5

    # and once history is rewritten behind it, the nightly check names the checkpoint
    first = AuditEvent.objects.order_by("id").first()
    attacker.rewrite(first, subject_repr="forged")
    result = audit_verify_task()
    assert "line 1" in result
    assert len(checkpoint_file.read_text().splitlines()) == 2


def test_the_checkpoint_is_written_every_hour():
    from workflows.schedules import declared

    spec = {s.name: s for s in declared()}["audit-checkpoint"]
    assert spec.func == "workflows.tasks.audit_checkpoint_task"
    assert spec.minutes == 60


def test_a_checkpoint_file_that_cannot_be_written_is_an_alarm_not_a_crash(settings, tmp_path):
    from workflows.tasks import audit_checkpoint_task

    # given a checkpoint file whose folder cannot be made (a file stands in its place)
    (tmp_path / "not-a-folder").write_text("")
    target = tmp_path / "not-a-folder" / "audit-checkpoints.jsonl"
    settings.ADMINS = [("Admin", "admin@example.org")]
    settings.AUDIT_CHECKPOINT_FILE = str(target)
    _record(2)

    # when the scheduled checkpoint runs, the administrators are told where it could not write
    result = audit_checkpoint_task()
    assert str(target) in result
    (message,) = mail.outbox
    assert str(target) in message.body
