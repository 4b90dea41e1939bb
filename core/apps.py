from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """Org units, accounts and roles, audit trail, working-day calendar, access helpers."""

    name = "core"
    verbose_name = _("Organisation and system")

    def ready(self) -> None:
        from . import signals  # noqa: F401  (login/logout/lockout auditing)


class CoreAdminConfig(AdminConfig):
    """django.contrib.admin, with a site scoped to the administrator's sub-district."""

    default_site = "core.admin_site.ScopedAdminSite"
