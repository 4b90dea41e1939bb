"""The deadline engine's status page for the Office (issue 4, item 7)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from core import access
from core.models import Role, SweepRun

from .health import health, interval

STATUS_ROLES = (Role.OFFICE_STAFF, Role.ADMIN, Role.AUDITOR)


@login_required
def deadline_health(request):
    if not access.has_role(request.user, *STATUS_ROLES):
        raise PermissionDenied
    return render(
        request,
        "workflows/deadline_health.html",
        {
            "health": health(),
            "runs": SweepRun.objects.order_by("-started_at")[:20],
            "interval_minutes": int(interval().total_seconds() // 60),
        },
    )
