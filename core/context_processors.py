"""Top navigation by role: each app registers its entries, each entry says who sees it."""

from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from . import access


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    active: bool


# Items added by higher apps in AppConfig.ready: (position, label, url name, prefix, predicate).
_registered: list[tuple[int, object, str, str, object]] = []


def register_nav(*, position: int, label, url_name: str, prefix: str, visible) -> None:
    """Let an app add a top-navigation item shown to users for whom visible(user) is true."""
    _registered.append((position, label, url_name, prefix, visible))
    _registered.sort(key=lambda item: item[0])


def _items(user) -> list[tuple[str, str, str]]:
    """(label, url name, url prefix for the active mark) the user may open."""
    if not user.is_authenticated:
        return []
    items = [(_("Home"), "home", "/$")]
    items += [
        (label, name, prefix) for _pos, label, name, prefix, visible in _registered if visible(user)
    ]
    if access.memberships(user):
        items.append((_("Organisation"), "org_units", "/org/"))
    if access.can_read_calendar(user):
        items.append((_("Working-day calendar"), "calendar", "/calendar/"))
    if access.can_read_audit(user):
        items.append((_("Audit trail"), "audit_list", "/audit/"))
    if user.is_superuser or access.is_subdistrict_admin(user):
        items.append((_("Administration"), "admin:index", "/admin/"))
    return items


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None:
        return {"app_title": settings.SITE_NAME}
    path = request.path
    nav = []
    for label, name, prefix in _items(user):
        url = reverse(name)
        active = path == "/" if prefix == "/$" else path.startswith(prefix)
        nav.append(NavItem(str(label), url, active))
    unit = None
    unread = 0
    if user.is_authenticated and user.sub_district_id:
        unit = user.sub_district
        from .models import Notification

        unread = Notification.objects.filter(
            recipient_user=user, sub_district_id=user.sub_district_id, read_at__isnull=True
        ).count()
    return {
        "nav_items": nav,
        "nav_unit": unit,
        "unread_notifications": unread,
        "app_title": settings.SITE_NAME,
    }
