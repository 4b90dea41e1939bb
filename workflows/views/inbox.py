"""The one 待办 (task inbox): everything waiting on the units where the user holds a role that
receives work, soonest due first, with lights and counts.

It reads only core.WorkItem (workflows.selectors): every case type lands here by registering its
kind in core.deadlines, and every item is called by the label its kind registered.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core import deadlines, workitems

from .. import selectors
from ..kinds import GROUP_KINDS

INBOX_PAGE_SIZE = 100


def _local_minutes(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def _query(**params) -> str:
    return "?" + urlencode({k: v for k, v in params.items() if v})


@login_required
def inbox(request):
    user = request.user
    unit_ids = selectors.work_units(user)
    if not unit_ids:
        # Auditors read everything and act on nothing; administrators manage accounts.
        raise PermissionDenied(
            _(
                "Your role receives no tasks: the task inbox lists the work waiting on "
                "communities, the Office, the lead departments and the Leading Group."
            )
        )
    kind = request.GET.get("kind")
    if deadlines.get(kind or "") is None:
        kind = None
    thresholds = workitems.light_thresholds()
    counts = selectors.light_counts(unit_ids, thresholds, kind=kind)
    light = request.GET.get("light")
    if light in workitems.Light.values:
        total = counts[light]
    else:
        light, total = None, sum(counts.values())
    items = selectors.open_items(unit_ids, thresholds, kind=kind, light=light)
    paginator = Paginator(items, INBOX_PAGE_SIZE)
    paginator.count = total  # known from the light counts: no second COUNT query
    page = paginator.get_page(request.GET.get("page"))
    notices_prefix = reverse("ledger")
    for item in page:
        item["kind_label"] = deadlines.label(item["kind"])
        item["unit_label"] = item["owner_unit__short_name"] or item["owner_unit__name"]
        item["due_label"] = _local_minutes(item["due_at"])
        item["group"] = item["kind"] in GROUP_KINDS
        item["holder_label"] = item["holder__display_name"] or item["holder__username"] or ""
        if item["url"].startswith(notices_prefix):
            # The case page's breadcrumb leads back here, with this page's filters.
            item["url"] += "?" + urlencode({"back": request.get_full_path()})
    lights = [
        {
            "value": value,
            "label": label,
            "style": workitems.LIGHT_STYLE[value],
            "count": counts[value],
            "href": _query(kind=kind, light=value),
            "active": value == light,
        }
        for value, label in workitems.Light.choices
    ]
    context = {
        "page_obj": page,
        "counts": counts,
        "lights": lights,
        "total": sum(counts.values()),
        "all_href": _query(kind=kind),
        "thresholds": thresholds,
        "current_light": light,
        "current_kind": kind,
        "current_kind_label": deadlines.label(kind) if kind else "",
        "due_word": _("Due"),
        "returned_word": _("Returned"),
        "held_word": _("Held by"),
        "unclaimed_word": _("Not claimed: any member of the team may claim it"),
    }
    return render(request, "workflows/inbox.html", context)
