"""The home page: one section per role held, each with the role's real open work (counts by kind
and light, from core.WorkItem) and links to the pages where that work is done.

It lives in workflows, the top app, because it links to every app's pages; its queries do not
grow with the number of items (one grouped count and one query of the next items for all
sections).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from core import access, workdays, workitems
from core.models import Role, Unit

from .. import selectors


def _today():
    return timezone.localdate()


# How many of a section's next items the home page lists (the inbox has them all).
NEXT_ITEMS = 5


def _section(role: str, grouped, upcoming: list[dict], units: set[int]) -> dict:
    kinds = selectors.kinds_of(grouped, units)
    totals = {light: sum(k.counts[light] for k in kinds) for light in workitems.Light.values}
    return {
        "role": role,
        "kinds": kinds,
        "totals": totals,
        "total": sum(totals.values()),
        "next": [item for item in upcoming if item["owner_unit_id"] in units][:NEXT_ITEMS],
    }


def _latest_year(user):
    # Appraisal is a lower app; its latest year gives the links to the year's live pages.
    from appraisal.models import AssessmentYear

    return (
        AssessmentYear.objects.filter(sub_district_id=user.sub_district_id)
        .order_by("-year")
        .values("year", "status")
        .first()
    )


@login_required
def home(request):
    user = request.user
    held = access.roles(user)
    roles = [role for role in access.HOME_ORDER if role in held]
    thresholds = workitems.light_thresholds()
    work_units = selectors.work_units(user)
    grouped = selectors.work_by_unit_and_kind(work_units, thresholds)
    upcoming = selectors.next_items(work_units, thresholds, per_unit=NEXT_ITEMS)
    sections = []
    for role in roles:
        units = access.units_for(user, role)
        section = (
            _section(role, grouped, upcoming, units)
            if role in selectors.WORK_ROLES
            else {"role": role}
        )
        sections.append(section)
    context = {
        "sections": sections,
        "Role": Role,
        "thresholds": thresholds,
        "my_units": Unit.objects.filter(pk__in=access.units_for(user, *held)).order_by(
            "sort_order"
        ),
        "year": _latest_year(user) if access.memberships(user) else None,
    }
    # Reports to score: the lead departments' categories, and the one the Office leads (其他任务).
    scorers = access.units_for(user, Role.DEPT_ASSESSOR, Role.OFFICE_STAFF)
    if scorers:
        categories = selectors.categories_to_score(user, scorers)
        for section in sections:
            if section["role"] in (Role.DEPT_ASSESSOR, Role.OFFICE_STAFF):
                units = access.units_for(user, section["role"])
                section["categories"] = [c for c in categories if c["lead_unit_id"] in units]
    if Role.OFFICE_STAFF in held or Role.ADMIN in held or access.is_installation_admin(user):
        context["calendar_missing"] = workdays.missing_years(_today())
        context["can_edit_calendar"] = access.can_edit_calendar(user)
    return render(request, "workflows/home.html", context)
