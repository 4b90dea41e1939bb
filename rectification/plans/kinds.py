"""The work-item kinds of plan items (core.workitems): what waits on whom once a plan is
accepted (Art. 20), and how each plugs into the deadline engine (core.deadlines). The plan
process's own steps (draft, review, accept) are registered by workflows.kinds."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from core import deadlines

WI_MILESTONE = "plan.milestone"  # the community must reach a milestone of an item
WI_ITEM_VERIFY = "plan.item_verify"  # the Office must close out (销号) an item or return it
WI_EXTENSION = "plan.extension"  # the Office must grant or refuse a milestone's extension

KINDS = (WI_MILESTONE, WI_ITEM_VERIFY, WI_EXTENSION)


def office_units(rows: list[deadlines.OverdueRow]) -> dict[int, list[int]]:
    """The Office hears of a missed milestone too (one query): it decides on an extension or a
    notice (Art. 11, 20)."""
    from core.models import Unit, UnitKind

    offices = dict(
        Unit.objects.filter(
            sub_district_id__in={r.sub_district_id for r in rows}, kind=UnitKind.OFFICE
        ).values_list("sub_district_id", "pk")
    )
    return {r.id: [offices[r.sub_district_id]] for r in rows if r.sub_district_id in offices}


def register() -> None:
    deadlines.register(
        deadlines.DeadlineKind(
            kind=WI_MILESTONE,
            label=_("Reach a milestone of the rectification plan"),
            also_notify=office_units,
        )
    )
    deadlines.register(
        deadlines.DeadlineKind(
            kind=WI_ITEM_VERIFY, label=_("Close out a rectification item"), remind=False
        )
    )
    deadlines.register(
        deadlines.DeadlineKind(
            kind=WI_EXTENSION, label=_("Decide on a milestone's extension"), remind=False
        )
    )
