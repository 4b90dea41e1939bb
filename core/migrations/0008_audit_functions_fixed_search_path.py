"""The audit table's trigger functions look up core_audit_flush_permit on a fixed search path.

They named the table without a schema, so a session could put a table of that name holding a row
earlier on its own search path (a schema of its own, or a temporary table: pg_temp is searched
first unless named) and the triggers would let UPDATE and DELETE through without any change to
their stored definitions. Pinning `search_path = pg_catalog, <the app's schema>, pg_temp` on
both functions closes that; audit_verify reports a function whose setting was reset.
"""

from django.db import migrations

FUNCTIONS = ("core_auditevent_refuse()", "core_auditevent_refuse_row()")

PG_BACKWARD = "\n".join(f"ALTER FUNCTION {f} RESET search_path;" for f in FUNCTIONS)


def forward(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        (schema,) = cursor.fetchone()
    path = f"pg_catalog, {connection.ops.quote_name(schema)}, pg_temp"
    for function in FUNCTIONS:
        schema_editor.execute(f"ALTER FUNCTION {function} SET search_path = {path}")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("core", "0007_roles_stay_in_their_subdistrict")]

    operations = [migrations.RunPython(forward, backward)]
