"""Roles stay in their user's sub-district: the triggers of migration 0007 must exist after every
migration. SQLite rebuilds a table for an AlterField and the rebuilt table has no triggers, so
they are ensured again after every `migrate` (post_migrate), as core.audit_guard does for the
audit table. PostgreSQL keeps triggers through ALTER TABLE.
"""

from __future__ import annotations

MESSAGE = "core_roleassignment: user and unit belong to different sub-districts"

_MISMATCH = """
    (SELECT sub_district_id FROM core_user WHERE id = NEW.user_id) IS NULL
    OR (SELECT sub_district_id FROM core_user WHERE id = NEW.user_id)
       IS NOT (SELECT sub_district_id FROM core_unit WHERE id = NEW.unit_id)
"""

SQLITE_TRIGGERS = {
    "core_roleassignment_same_sub_district_insert": f"""
        CREATE TRIGGER IF NOT EXISTS core_roleassignment_same_sub_district_insert
        BEFORE INSERT ON core_roleassignment WHEN {_MISMATCH}
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
    """,
    "core_roleassignment_same_sub_district_update": f"""
        CREATE TRIGGER IF NOT EXISTS core_roleassignment_same_sub_district_update
        BEFORE UPDATE OF user_id, unit_id ON core_roleassignment WHEN {_MISMATCH}
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
    """,
    "core_user_roles_stay": f"""
        CREATE TRIGGER IF NOT EXISTS core_user_roles_stay
        BEFORE UPDATE OF sub_district_id ON core_user
        WHEN OLD.sub_district_id IS NOT NEW.sub_district_id AND EXISTS (
            SELECT 1 FROM core_roleassignment ra JOIN core_unit u ON u.id = ra.unit_id
            WHERE ra.user_id = NEW.id
              AND (NEW.sub_district_id IS NULL OR u.sub_district_id <> NEW.sub_district_id)
        )
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
    """,
    "core_unit_roles_stay": f"""
        CREATE TRIGGER IF NOT EXISTS core_unit_roles_stay
        BEFORE UPDATE OF sub_district_id ON core_unit
        WHEN OLD.sub_district_id IS NOT NEW.sub_district_id
            AND EXISTS (SELECT 1 FROM core_roleassignment ra WHERE ra.unit_id = NEW.id)
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
    """,
}


def ensure_triggers(connection) -> list[str]:
    """Create whichever SQLite role trigger is missing; returns the names it created."""
    if connection.vendor != "sqlite":
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        existing = {row[0] for row in cursor.fetchall()}
        missing = sorted(set(SQLITE_TRIGGERS) - existing)
        for name in missing:
            cursor.execute(SQLITE_TRIGGERS[name])
    return missing
