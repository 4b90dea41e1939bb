from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RectificationConfig(AppConfig):
    """Rectification notices (Art. 11) and next-year rectification plans (Art. 20)."""

    name = "rectification"
    verbose_name = _("Rectification")

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from core import access
        from core.context_processors import register_nav

        from . import policies

        policies.register()
        from . import audit_events
        from .plans import audit_events as plan_audit_events
        from .plans import kinds as plan_kinds
        from .plans import policies as plan_policies

        plan_policies.register()
        audit_events.register()
        plan_audit_events.register()
        plan_kinds.register()
        from core.demo import register_seeder

        from .demo import seed_notices

        register_seeder(seed_notices)
        from . import kinds

        kinds.register()
        register_nav(
            position=20,
            label=_("Ledger"),
            url_name="ledger",
            prefix="/notices/",
            visible=lambda user: access.has_role(user, *policies.SEE_ALL, *policies.ISSUER_ROLES),
        )
        from core.models import Role

        # The plan ledger (Art. 20): those who see every plan and the lead departments.
        register_nav(
            position=25,
            label=_("Plan ledger"),
            url_name="plan_ledger",
            prefix="/plans/",
            visible=lambda user: access.has_role(user, *plan_policies.SEE_ALL, Role.DEPT_ASSESSOR),
        )
