"""Verify the audit trail: its append-only guards, its hash chain and its signed checkpoints.

Exit 1 with one line naming the cause: a flush-permit row or a missing, disabled or replaced
trigger; the first broken row; a checkpoint that is forged or no longer on the chain.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core.audit_anchor import audit_check


class Command(BaseCommand):
    help = (
        "Verify the audit trail (审计链校验): triggers and flush permit, the hash chain, and with "
        "--checkpoints FILE every signed checkpoint. Exit 1 naming the first problem."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--checkpoints",
            metavar="FILE",
            help="a checkpoint file (JSON lines, e.g. AUDIT_CHECKPOINT_FILE or lines from the "
            "administrators' mail): each must be genuine and still on the chain",
        )
        parser.add_argument(
            "--write-checkpoint",
            action="store_true",
            help="after a successful check, append a signed checkpoint to AUDIT_CHECKPOINT_FILE "
            "and mail it to the ADMINS (what the hourly schedule does)",
        )

    def handle(self, *args, checkpoints=None, write_checkpoint=False, **options):
        if write_checkpoint and not settings.AUDIT_CHECKPOINT_FILE:
            raise CommandError("AUDIT_CHECKPOINT_FILE is not set: nowhere to write a checkpoint")
        result = audit_check(checkpoints=checkpoints, write=write_checkpoint)
        if not result.ok:
            raise CommandError(result.message)
        self.stdout.write(result.message)
