"""The Office's warning banner when the deadline sweep has not run for three intervals."""

from core import access
from core.models import Role

from .health import sweep_is_stale


def engine_banner(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not access.has_role(user, Role.OFFICE_STAFF, Role.ADMIN):
        return {}
    return {"deadline_engine_stale": sweep_is_stale()}
