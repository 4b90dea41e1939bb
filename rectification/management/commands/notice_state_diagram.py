"""Write docs/notice-states.md from the state machine (or --check that it is current)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from rectification.diagram import document

TARGET = Path(settings.BASE_DIR) / "docs" / "notice-states.md"


class Command(BaseCommand):
    help = "Generate docs/notice-states.md (Mermaid) from the notice state machine."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Fail if the file is stale.")

    def handle(self, *args, **options):
        text = document()
        if options["check"]:
            if not TARGET.exists() or TARGET.read_text(encoding="utf-8") != text:
                raise CommandError(
                    "docs/notice-states.md 已过期 / is stale: run notice_state_diagram"
                )
            self.stdout.write("docs/notice-states.md is current")
            return
        TARGET.parent.mkdir(parents=True, exist_ok=True)
        TARGET.write_text(text, encoding="utf-8")
        self.stdout.write(f"wrote {TARGET}")
