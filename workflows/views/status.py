"""The deadline engine's status page for the Office (Art. 11: every step has a deadline).

A sub-district's Office, administrator or auditor sees its own backlog and whether the shared
sweep runs; the installation's figures (sweep totals, failed tasks, every sub-district's backlog)
are for installation administrators. The `deadline_status` command stays installation-wide: it
is the operator's tool on the server.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone

from core import access
from core.models import Role, SweepRun

from ..health import backlog_by_sub_district, health, interval

STATUS_ROLES = (Role.OFFICE_STAFF, Role.ADMIN, Role.AUDITOR)


@login_required
def deadline_health(request):
    user = request.user
    installation = access.is_installation_admin(user)
    if not installation and not access.has_role(user, *STATUS_ROLES):
        raise PermissionDenied
    now = timezone.now()
    if installation:
        state = health(now)
        per_sub_district = backlog_by_sub_district(now)
    else:
        state = health(now, failures=0, sub_district_id=user.sub_district_id)
        per_sub_district = []
    return render(
        request,
        "workflows/deadline_health.html",
        {
            "health": state,
            "installation": installation,
            "backlog_by_sub_district": per_sub_district,
            "runs": SweepRun.objects.order_by("-started_at")[:20],
            "interval_minutes": int(interval().total_seconds() // 60),
        },
    )
