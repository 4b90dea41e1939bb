"""Keep the audit table append-only: its database triggers must exist after every migration.

SQLite cannot alter a column in place: Django rebuilds the table for an AlterField, and the
rebuilt table has no triggers. So the triggers of migration 0002 are ensured again after every
`migrate` (post_migrate), and `audit_verify` fails when they are missing.
"""

from __future__ import annotations

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
