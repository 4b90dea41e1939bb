from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppraisalConfig(AppConfig):
    """Assessment years, indicators, periodic reports, scores and results (Art. 4-19)."""

    name = "appraisal"
    verbose_name = _("Appraisal")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from core import access
        from core.context_processors import register_nav
        from core.demo import register_seeder

        from . import kinds, policies
        from .demo import seed_appraisal
        from .services.publication import backfill_missing_versions

        # A year published before result versions existed gets its version 1 on upgrade.
        post_migrate.connect(
            backfill_missing_versions, sender=self, dispatch_uid="results_backfill"
        )
        policies.register()
        from . import audit_events

        audit_events.register()
        register_seeder(seed_appraisal)
        kinds.register()
        register_nav(
            position=30,
            label=_("Assessment"),
            url_name="appraisal:years",
            prefix="/appraisal/",
            visible=lambda user: bool(access.memberships(user)),
        )
