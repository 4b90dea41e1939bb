from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppraisalConfig(AppConfig):
    """Assessment years, indicators, periodic reports, scores and results (Art. 4-19)."""

    name = "appraisal"
    verbose_name = _("Appraisal")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from core import access, deadlines
        from core.context_processors import register_nav
        from core.demo import register_seeder

        from . import policies
        from .demo import seed_appraisal
        from .services import (
            WI_CLAIM_DECIDE,
            WI_CLAIM_REVIEW,
            WI_CORRECTION,
            WI_FRAUD_DECIDE,
            WI_REPORT,
            open_report_items,
        )
        from .versions import WI_REPUBLICATION, backfill_missing_versions

        # A year published before result versions existed gets its version 1 on upgrade.
        post_migrate.connect(
            backfill_missing_versions, sender=self, dispatch_uid="results_backfill"
        )
        policies.register()
        from . import audit_events

        audit_events.register()
        register_seeder(seed_appraisal)
        # Art. 7, 12: report tasks open when their period begins and get reminders; a late
        # report is simply excluded from scoring (no on_overdue).
        deadlines.register(
            deadlines.DeadlineKind(
                kind=WI_REPORT, label=_("File a periodic report"), open_due=open_report_items
            )
        )
        # Decisions without a deadline: listed in the inbox, never reminded.
        for kind, label in (
            (WI_CLAIM_REVIEW, _("Review a bonus claim")),
            (WI_CLAIM_DECIDE, _("Decide a bonus claim")),
            (WI_FRAUD_DECIDE, _("Decide a fraud finding")),
            (WI_CORRECTION, _("Approve a correction")),
            (WI_REPUBLICATION, _("Approve the republication of corrected results")),
        ):
            deadlines.register(deadlines.DeadlineKind(kind=kind, label=label, remind=False))
        register_nav(
            position=30,
            label=_("Assessment"),
            url_name="appraisal:years",
            prefix="/appraisal/",
            visible=lambda user: bool(access.memberships(user)),
        )
