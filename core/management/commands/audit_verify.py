"""Walk the audit chain and recompute every hash; exit 1 naming the first broken row."""

from django.core.management.base import BaseCommand, CommandError

from core.audit import verify_chain


class Command(BaseCommand):
    help = "Verify the hash chain of the audit trail (审计链校验). Exit 1 at the first broken row."

    def handle(self, *args, **options):
        from django.db import connection

        from core.audit_guard import missing_triggers

        missing = missing_triggers(connection)
        if missing:
            raise CommandError(
                "审计表不再只读 / the audit table is no longer append-only: missing triggers "
                + ", ".join(missing)
            )
        report = verify_chain()
        if not report.ok:
            raise CommandError(
                f"审计链断裂 / audit chain broken at row id={report.broken_id}: {report.reason} "
                f"({report.checked} rows verified before it)"
            )
        self.stdout.write(f"审计链完整 / audit chain intact: {report.checked} rows verified")
