"""Keep the audit table append-only: its database triggers must exist after every migration.

SQLite cannot alter a column in place: Django rebuilds the table for an AlterField, and the
rebuilt table has no triggers. So the triggers of migration 0002 are ensured again after every
`migrate` (post_migrate), and `audit_verify` fails when they are missing.

The application's own database role owns the table, so it can also disable a trigger, replace its
function or leave a flush-permit row behind; `guard_problems` names each of these (`audit_verify`
and the scheduled checks fail on them). What it cannot see (a trigger disabled and enabled again
around a rewrite) is caught by the signed checkpoints of core.audit_anchor.
"""

from __future__ import annotations

from django.db import DatabaseError, transaction

SQLITE_TRIGGERS = {
    "core_auditevent_no_update": """
        CREATE TRIGGER IF NOT EXISTS core_auditevent_no_update BEFORE UPDATE ON core_auditevent
        WHEN NOT EXISTS (SELECT 1 FROM core_audit_flush_permit)
        BEGIN SELECT RAISE(ABORT, 'core_auditevent is append-only: UPDATE refused'); END
    """,
    "core_auditevent_no_delete": """
        CREATE TRIGGER IF NOT EXISTS core_auditevent_no_delete BEFORE DELETE ON core_auditevent
        WHEN NOT EXISTS (SELECT 1 FROM core_audit_flush_permit)
        BEGIN SELECT RAISE(ABORT, 'core_auditevent is append-only: DELETE refused'); END
    """,
}

PG_TRIGGERS = {
    "core_auditevent_no_update_delete": """
        CREATE TRIGGER core_auditevent_no_update_delete
            BEFORE UPDATE OR DELETE ON core_auditevent
            FOR EACH ROW EXECUTE FUNCTION core_auditevent_refuse_row()
    """,
    "core_auditevent_no_truncate": """
        CREATE TRIGGER core_auditevent_no_truncate
            BEFORE TRUNCATE ON core_auditevent
            FOR EACH STATEMENT EXECUTE FUNCTION core_auditevent_refuse()
    """,
}


# The bodies of migration 0002's trigger functions, as PostgreSQL stores them (prosrc), compared
# with whitespace collapsed: a function replaced by its owner may let every change through.
PG_FUNCTIONS = {
    "core_auditevent_refuse()": """
BEGIN
    IF EXISTS (SELECT 1 FROM core_audit_flush_permit) THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'core_auditevent is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
""",
    "core_auditevent_refuse_row()": """
BEGIN
    IF EXISTS (SELECT 1 FROM core_audit_flush_permit) THEN
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'core_auditevent is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
""",
}

# pg_trigger.tgtype bits: 1 row, 2 before, 8 delete, 16 update, 32 truncate.
PG_TRIGGER_SHAPE = {
    "core_auditevent_no_update_delete": (1 | 2 | 8 | 16, "core_auditevent_refuse_row()"),
    "core_auditevent_no_truncate": (2 | 32, "core_auditevent_refuse()"),
}


def _squash(sql: str) -> str:
    return " ".join(sql.replace("IF NOT EXISTS ", "").split())


def _existing(connection) -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name = 'core_auditevent'"
            )
        else:
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = 'core_auditevent'::regclass "
                "AND NOT tgisinternal"
            )
        return {row[0] for row in cursor.fetchall()}


def missing_triggers(connection) -> list[str]:
    if connection.vendor not in ("sqlite", "postgresql"):
        return []
    wanted = SQLITE_TRIGGERS if connection.vendor == "sqlite" else PG_TRIGGERS
    return sorted(set(wanted) - _existing(connection))


def ensure_triggers(connection) -> list[str]:
    """Create whichever append-only trigger is missing; returns the names it created."""
    missing = missing_triggers(connection)
    if not missing:
        return []
    statements = SQLITE_TRIGGERS if connection.vendor == "sqlite" else PG_TRIGGERS
    with connection.cursor() as cursor:
        for name in missing:
            cursor.execute(statements[name])
    return missing


def _permit_problems(connection) -> list[str]:
    # The flush command inserts and removes its permit in one transaction: no other connection
    # ever sees it, so any row seen here lets UPDATE and DELETE through for everyone.
    try:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM core_audit_flush_permit")
            (rows,) = cursor.fetchone()
    except DatabaseError:
        return ["the flush-permit table core_audit_flush_permit is missing"]
    if rows:
        return [
            f"{rows} flush-permit row(s) in core_audit_flush_permit outside a test flush: "
            "the triggers let every UPDATE and DELETE through"
        ]
    return []


def _pg_trigger_problems(connection) -> list[str]:
    problems = []
    with connection.cursor() as cursor:
        for name, (tgtype, function) in PG_TRIGGER_SHAPE.items():
            cursor.execute(
                "SELECT tgenabled, tgtype, tgfoid = to_regprocedure(%s), tgqual IS NULL, "
                "tgattr::text = '' FROM pg_trigger WHERE tgrelid = 'core_auditevent'::regclass "
                "AND NOT tgisinternal AND tgname = %s",
                [function, name],
            )
            row = cursor.fetchone()
            if row is None:
                continue  # reported as missing
            enabled, actual_type, calls_function, unconditional, all_columns = row
            # 'O' fires in ordinary sessions, 'A' always; 'D' is disabled, 'R' replicas only.
            if enabled not in ("O", "A"):
                problems.append(f"trigger {name} is disabled (pg_trigger.tgenabled = {enabled!r})")
            if actual_type != tgtype or not unconditional or not all_columns:
                problems.append(f"trigger {name} was redefined: it no longer fires on every row")
            if not calls_function:
                problems.append(f"trigger {name} no longer calls {function}")
        cursor.execute("SELECT current_schema()")
        (schema,) = cursor.fetchone()
        pinned = f"search_path=pg_catalog, {schema}, pg_temp"
        for function, body in PG_FUNCTIONS.items():
            cursor.execute(
                "SELECT prosrc, coalesce(proconfig, '{}') FROM pg_proc "
                "WHERE oid = to_regprocedure(%s)",
                [function],
            )
            row = cursor.fetchone()
            if row is None:
                problems.append(f"trigger function {function} is missing")
            elif _squash(row[0]) != _squash(body):
                problems.append(
                    f"trigger function {function} was replaced: it may no longer refuse changes"
                )
            elif pinned not in row[1]:
                # Migration 0008: without a fixed search path, a session's own table (or a
                # temporary one) named core_audit_flush_permit could let changes through.
                problems.append(
                    f"trigger function {function} no longer has its fixed search path "
                    f"({pinned}): a session could defuse it with a table of its own"
                )
    return problems


def _sqlite_trigger_problems(connection) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
            "AND tbl_name = 'core_auditevent'"
        )
        stored = dict(cursor.fetchall())
    return [
        f"trigger {name} was redefined: it may no longer refuse changes"
        for name, sql in SQLITE_TRIGGERS.items()
        if name in stored and _squash(stored[name]) != _squash(sql)
    ]


def guard_problems(connection) -> list[str]:
    """Everything that makes the audit table no longer append-only, one sentence each."""
    if connection.vendor not in ("sqlite", "postgresql"):
        return []
    problems = [f"missing trigger {name}" for name in missing_triggers(connection)]
    if connection.vendor == "postgresql":
        problems += _pg_trigger_problems(connection)
    else:
        problems += _sqlite_trigger_problems(connection)
    return problems + _permit_problems(connection)
