"""Create or update the django-q2 schedules declared in workflows/schedules.py, by name."""

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django_q.models import Schedule

from workflows.schedules import declared as declared_schedules


class Command(BaseCommand):
    help = "Sync the schedules declared in code into django-q2 (idempotent, by name)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--keep-retired",
            action="store_true",
            help="Keep schedules no longer declared in code (by default they are removed).",
        )

    def handle(self, *args, **options):
        specs = declared_schedules()
        declared = {spec.name for spec in specs}
        with transaction.atomic():
            for spec in specs:
                # The name column is not unique (pitfalls.md): keep the first, drop duplicates.
                rows = list(
                    Schedule.objects.select_for_update().filter(name=spec.name).order_by("id")
                )
                for extra in rows[1:]:
                    extra.delete()
                schedule = rows[0] if rows else Schedule(name=spec.name, next_run=timezone.now())
                schedule.func = spec.func
                schedule.schedule_type = Schedule.MINUTES
                schedule.minutes = spec.minutes
                schedule.repeats = -1
                schedule.save()
                self.stdout.write(f"schedule {spec.name}: every {spec.minutes} min")
            if not options["keep_retired"]:
                removed, _ = Schedule.objects.exclude(name__in=declared).delete()
                if removed:
                    self.stdout.write(f"removed {removed} retired schedules")
        self.stdout.write(f"同步完成 / synced {len(specs)} schedules")
