"""Corrections of decided results (Art. 16): requested, decided and closed; the republication of
corrected results (the Office closes an applied correction for republication, the Leading Group
approves it — a new published version — or refuses it). Thin: the services decide and write."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ..forms.common import ReasonForm
from ..selectors.corrections import latest_correction
from ..services import publication
from ..services.corrections import correction_close, correction_decide, correction_request
from .common import back_to, show_errors, year_of_user
from .results import _year as results_year


@login_required
@require_POST
def correction(request, number: int):
    year = year_of_user(request, number)
    action = request.POST.get("action")
    try:
        if action == "request":
            form = ReasonForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Give the reason for the correction."))
            correction_request(
                year_id=year.pk, acting_user=request.user, reason=form.cleaned_data["reason"]
            )
            messages.success(request, _("Correction requested; the Leading Group decides it."))
        elif action in ("approve", "refuse", "close"):
            current = latest_correction(request.user, year)
            if current is None:
                raise Http404
            if action == "close":
                correction_close(correction_id=current.pk, acting_user=request.user)
                messages.success(request, _("Correction closed; the year is frozen again."))
            else:
                correction_decide(
                    correction_id=current.pk,
                    acting_user=request.user,
                    approve=action == "approve",
                    note=request.POST.get("note", ""),
                )
                messages.success(request, _("Decision recorded."))
        else:
            raise ValidationError(_("Unknown action."))
    except ValidationError as exc:
        show_errors(request, exc)
        return back_to("appraisal:year", number, status=303)
    return redirect("appraisal:year", number)


@login_required
@require_POST
def republication(request, number: int):
    """POST action=request (the Office), approve or refuse with a note (the Leading Group).

    403 for anyone else, 409 when no correction is in the state the action needs (a stale or
    repeated submit; raised by the services); an unknown action or a refusal without its reason
    is a message."""
    year = results_year(request, number)
    action = request.POST.get("action")
    try:
        if action not in ("request", "approve", "refuse"):
            raise ValidationError(_("Unknown action."))
        if action == "request":
            publication.correction_republication_request(year_id=year.pk, acting_user=request.user)
            messages.success(
                request,
                _("Correction closed; the Leading Group decides on republishing the results."),
            )
        else:
            publication.correction_republication_decide(
                year_id=year.pk,
                acting_user=request.user,
                approve=action == "approve",
                note=request.POST.get("note", ""),
            )
            messages.success(
                request,
                _("The corrected results are published as a new version.")
                if action == "approve"
                else _("Republication refused: the published results stay as they are."),
            )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        response = redirect("appraisal:year", number)
        response.status_code = 303
        return response
    return redirect("appraisal:year", number)
