"""The admin site: superusers manage the installation, sub-district administrators their own."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _


class ScopedAdminSite(admin.AdminSite):
    site_header = _("Party-building assessment · administration")
    site_title = _("Administration")
    index_title = _("Units, users and roles")

    def has_permission(self, request) -> bool:
        from .access import is_subdistrict_admin

        user = request.user
        return bool(user.is_active and (user.is_superuser or is_subdistrict_admin(user)))
