from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """Org units, accounts and roles, audit trail, working-day calendar, access helpers."""

    name = "core"
    verbose_name = _("Organisation and system")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import audit_events, session_lifetime, signals  # noqa: F401  (log-in time, audit)

        audit_events.register_core()

        post_migrate.connect(_ensure_audit_triggers, sender=self, dispatch_uid="core_audit_guard")
        post_migrate.connect(_ensure_role_triggers, sender=self, dispatch_uid="core_role_guard")


class CoreAdminConfig(AdminConfig):
    """django.contrib.admin, with a site scoped to the administrator's sub-district."""

    default_site = "core.admin_site.ScopedAdminSite"


def _ensure_audit_triggers(sender, using="default", **kwargs) -> None:
    """After every migrate: a table rebuilt by SQLite loses its triggers (core.audit_guard)."""
    from django.db import connections

    from .audit_guard import ensure_triggers

    connection = connections[using]
    if "core_auditevent" in connection.introspection.table_names():
        ensure_triggers(connection)


def _ensure_role_triggers(sender, using="default", **kwargs) -> None:
    """After every migrate: roles stay in their user's sub-district (core.role_guard)."""
    from django.db import connections

    from .role_guard import ensure_triggers

    connection = connections[using]
    if "core_roleassignment" in connection.introspection.table_names():
        ensure_triggers(connection)
