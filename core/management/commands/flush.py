"""`flush`, able to empty the append-only audit table only where settings allow it (tests).

The test runner flushes the database between transactional tests; the audit triggers (migration
0002) would refuse that. With settings.AUDIT_ALLOW_FLUSH on, a permit row is inserted and removed
within the same transaction as the flush, so no other connection ever sees it.
"""

from django.conf import settings
from django.core.management.commands.flush import Command as FlushCommand
from django.db import connections, transaction


class Command(FlushCommand):
    def handle(self, **options):
        database = options["database"]
        if not getattr(settings, "AUDIT_ALLOW_FLUSH", False):
            return super().handle(**options)
        connection = connections[database]
        with transaction.atomic(using=database):
            with connection.cursor() as cursor:
                cursor.execute("INSERT INTO core_audit_flush_permit (id) VALUES (1)")
            super().handle(**options)
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM core_audit_flush_permit")
