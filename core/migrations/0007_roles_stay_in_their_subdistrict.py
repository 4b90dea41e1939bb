"""A role is held only in a unit of the user's own sub-district: enforced in the database.

RoleAssignment.clean() refuses the row in forms, but a row written another way (a service, a
bulk insert, a shell, a later API) would let one sub-district's notifications and unit pages
reach a person of another. The triggers refuse:
- a role row whose user and unit belong to different sub-districts (insert, or a changed user or
  unit);
- moving a user, or a unit, to another sub-district while roles tie it to the old one.

PostgreSQL: plpgsql row triggers raising check_violation (Django's IntegrityError).
SQLite: RAISE(ABORT) triggers (also IntegrityError).
"""

from django.db import migrations

MESSAGE = "core_roleassignment: user and unit belong to different sub-districts"

PG_FORWARD = f"""
CREATE FUNCTION core_roleassignment_same_sub_district() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT sub_district_id FROM core_user WHERE id = NEW.user_id)
        IS DISTINCT FROM (SELECT sub_district_id FROM core_unit WHERE id = NEW.unit_id)
        OR (SELECT sub_district_id FROM core_user WHERE id = NEW.user_id) IS NULL THEN
        RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER core_roleassignment_same_sub_district
    BEFORE INSERT OR UPDATE OF user_id, unit_id ON core_roleassignment
    FOR EACH ROW EXECUTE FUNCTION core_roleassignment_same_sub_district();

CREATE FUNCTION core_user_roles_stay() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM core_roleassignment ra JOIN core_unit u ON u.id = ra.unit_id
        WHERE ra.user_id = NEW.id
          AND (NEW.sub_district_id IS NULL OR u.sub_district_id <> NEW.sub_district_id)
    ) THEN
        RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER core_user_roles_stay
    BEFORE UPDATE OF sub_district_id ON core_user
    FOR EACH ROW WHEN (OLD.sub_district_id IS DISTINCT FROM NEW.sub_district_id)
    EXECUTE FUNCTION core_user_roles_stay();

CREATE FUNCTION core_unit_roles_stay() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM core_roleassignment ra WHERE ra.unit_id = NEW.id) THEN
        RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER core_unit_roles_stay
    BEFORE UPDATE OF sub_district_id ON core_unit
    FOR EACH ROW WHEN (OLD.sub_district_id IS DISTINCT FROM NEW.sub_district_id)
    EXECUTE FUNCTION core_unit_roles_stay();
"""

PG_BACKWARD = """
DROP TRIGGER IF EXISTS core_unit_roles_stay ON core_unit;
DROP TRIGGER IF EXISTS core_user_roles_stay ON core_user;
DROP TRIGGER IF EXISTS core_roleassignment_same_sub_district ON core_roleassignment;
DROP FUNCTION IF EXISTS core_unit_roles_stay();
DROP FUNCTION IF EXISTS core_user_roles_stay();
DROP FUNCTION IF EXISTS core_roleassignment_same_sub_district();
"""

_SQLITE_MISMATCH = """
    (SELECT sub_district_id FROM core_user WHERE id = NEW.user_id) IS NULL
    OR (SELECT sub_district_id FROM core_user WHERE id = NEW.user_id)
       IS NOT (SELECT sub_district_id FROM core_unit WHERE id = NEW.unit_id)
"""

SQLITE_FORWARD = [
    f"""
    CREATE TRIGGER core_roleassignment_same_sub_district_insert
    BEFORE INSERT ON core_roleassignment WHEN {_SQLITE_MISMATCH}
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
    """,
    f"""
    CREATE TRIGGER core_roleassignment_same_sub_district_update
    BEFORE UPDATE OF user_id, unit_id ON core_roleassignment WHEN {_SQLITE_MISMATCH}
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
    """,
    f"""
    CREATE TRIGGER core_user_roles_stay
    BEFORE UPDATE OF sub_district_id ON core_user
    WHEN OLD.sub_district_id IS NOT NEW.sub_district_id AND EXISTS (
        SELECT 1 FROM core_roleassignment ra JOIN core_unit u ON u.id = ra.unit_id
        WHERE ra.user_id = NEW.id
          AND (NEW.sub_district_id IS NULL OR u.sub_district_id <> NEW.sub_district_id)
    )
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
    """,
    f"""
    CREATE TRIGGER core_unit_roles_stay
    BEFORE UPDATE OF sub_district_id ON core_unit
    WHEN OLD.sub_district_id IS NOT NEW.sub_district_id
        AND EXISTS (SELECT 1 FROM core_roleassignment ra WHERE ra.unit_id = NEW.id)
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
    """,
]

SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS core_unit_roles_stay",
    "DROP TRIGGER IF EXISTS core_user_roles_stay",
    "DROP TRIGGER IF EXISTS core_roleassignment_same_sub_district_update",
    "DROP TRIGGER IF EXISTS core_roleassignment_same_sub_district_insert",
]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FORWARD, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement)
    else:
        raise RuntimeError(f"No role sub-district triggers for database vendor {vendor!r}")


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_BACKWARD, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("core", "0006_audit_fewer_indexes")]

    operations = [migrations.RunPython(forward, backward)]
