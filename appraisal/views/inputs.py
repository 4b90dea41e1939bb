"""Votes and the comprehensive evaluation (scoring.md §4, Art. 17), and its workbook."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core import access
from core.downloads import xlsx_response

from .. import policies, posted
from ..files.inputs import (
    comprehensive_workbook,
    import_comprehensive,
    import_votes,
    votes_workbook,
)
from ..forms.common import UploadForm
from ..models import AssessedUnit, Comprehensive, Vote, VoteKind
from ..services.common import writable
from ..services.inputs import inputs_save
from .common import back_to, refuse_post, show_errors, upload_view, year_of_user


@login_required
def inputs(request, number: int):
    """Satisfaction tallies (scoring.md §4) and the comprehensive evaluation (Art. 17)."""
    year = year_of_user(request, number)
    if not policies.sees_all(request.user):
        raise PermissionDenied
    units = list(AssessedUnit.objects.filter(year=year).order_by("code"))
    editable = access.can_act(request.user, year, "inputs") and writable(year)
    status = 200
    if request.method == "POST":
        if not editable:
            refuse_post(year, has_right=access.can_act(request.user, year, "inputs"))
        absent = posted.missing(request.POST, _input_fields(units))
        if absent:
            posted.refuse(request, absent)
            status = 400
    if request.method == "POST" and status == 200:
        # Every field is present (checked above). An empty count is 0 ballots, an empty
        # comprehensive score "not yet known" (the page says so): both as before.
        vote_rows, comp_rows = [], []
        for u in units:
            for kind in VoteKind.values:
                vote_rows.append(
                    {
                        "unit_id": u.unit_id,
                        "kind": kind,
                        **{
                            k: request.POST[f"{kind}-{k}-{u.unit_id}"]
                            for k in ("satisfied", "basically", "dissatisfied")
                        },
                    }
                )
            comp_rows.append(
                {
                    "unit_id": u.unit_id,
                    "score": request.POST[f"score-{u.unit_id}"],
                    "advanced": "on" in request.POST.getlist(f"advanced-{u.unit_id}"),
                }
            )
        try:
            n = inputs_save(
                year_id=year.pk, acting_user=request.user, votes=vote_rows, comprehensive=comp_rows
            )
        except ValidationError as exc:
            show_errors(request, exc)
            return back_to("appraisal:inputs", number, status=303)
        messages.success(request, _("%(n)s change(s) saved.") % {"n": n})
        return redirect("appraisal:inputs", number)
    votes = {(v.unit_id, v.kind): v for v in Vote.objects.filter(year=year)}
    comp = {c.unit_id: c for c in Comprehensive.objects.filter(year=year)}
    rows = [
        (
            u,
            votes.get((u.unit_id, VoteKind.DEBRIEFING)),
            votes.get((u.unit_id, VoteKind.DEMOCRATIC)),
            comp.get(u.unit_id),
        )
        for u in units
    ]
    return render(
        request,
        "appraisal/inputs.html",
        {"year": year, "rows": rows, "editable": editable, "upload": UploadForm()},
        status=status,
    )


BALLOTS = {
    "satisfied": gettext_lazy("satisfied"),
    "basically": gettext_lazy("basically"),
    "dissatisfied": gettext_lazy("dissatisfied"),
}


def _input_fields(units) -> dict[str, object]:
    """name → label of every field the votes-and-comprehensive form shows, row by row."""
    fields: dict[str, object] = {}
    for u in units:
        for kind in VoteKind:
            for key, label in BALLOTS.items():
                fields[f"{kind.value}-{key}-{u.unit_id}"] = format_lazy(
                    "{} · {} · {}", u.name, kind.label, label
                )
        fields[f"score-{u.unit_id}"] = format_lazy(
            "{} · {}", u.name, gettext_lazy("Comprehensive score")
        )
        fields[f"advanced-{u.unit_id}"] = format_lazy("{} · {}", u.name, gettext_lazy("Advanced"))
    return fields


@login_required
def comprehensive_export(request, number: int):
    year = year_of_user(request, number)
    if not policies.sees_all(request.user):
        raise PermissionDenied
    return xlsx_response(
        comprehensive_workbook(year),
        ascii_name=f"comprehensive-{year.year}.xlsx",
        name=f"综合考评-{year.year}.xlsx",
    )


@login_required
@require_POST
def comprehensive_import(request, number: int):
    return upload_view(
        request,
        number,
        "inputs",
        "appraisal:inputs",
        import_comprehensive,
        lambda _counts: _("Comprehensive evaluation imported."),
    )


@login_required
def votes_export(request, number: int):
    """The satisfaction tallies as a workbook to fill in and import (scoring.md §4)."""
    year = year_of_user(request, number)
    if not policies.sees_all(request.user):
        raise PermissionDenied
    return xlsx_response(
        votes_workbook(year),
        ascii_name=f"votes-{year.year}.xlsx",
        name=f"满意度评价-{year.year}.xlsx",
    )


@login_required
@require_POST
def votes_import(request, number: int):
    return upload_view(
        request,
        number,
        "inputs",
        "appraisal:inputs",
        import_votes,
        lambda counts: (
            _("Votes imported: %(n)s communities, %(changed)s change(s).")
            % {"n": counts["rows"], "changed": counts["changed"]}
        ),
    )
