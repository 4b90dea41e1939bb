"""Republication of corrected results (Art. 16): the Office closes an applied correction for
republication, the Leading Group approves it (a new published version) or refuses it (the
published version stays). Thin: the services in appraisal.versions decide and write."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .results import publication
from .views_results import _year


@login_required
@require_POST
def republication(request, number: int):
    """POST action=request (the Office), approve or refuse with a note (the Leading Group).

    403 for anyone else, 409 when no correction is in the state the action needs (a stale or
    repeated submit; raised by the services); an unknown action or a refusal without its reason
    is a message."""
    year = _year(request, number)
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
