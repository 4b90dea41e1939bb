"""What every page of the year shares: the user's year (404), messages, evidence lists, uploads."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from core import access
from core.errors import UploadRejected
from core.models import Evidence

from ..forms.common import UploadForm
from ..models import AssessmentYear
from ..services.common import guard_open

PAGE_SIZE = 50


def show_errors(request, error: ValidationError) -> None:
    """Every message of a refused input, on the page the user goes back to."""
    for message in error.messages:
        messages.error(request, message)


def year_of_user(request, number: int) -> AssessmentYear:
    """The year `number` of the user's own sub-district; 404 for anyone without a membership."""
    own = access.sub_district_id(request.user)
    if own is None or not access.memberships(request.user):
        raise Http404
    year = AssessmentYear.objects.filter(sub_district_id=own, year=number).first()
    if year is None:
        raise Http404
    return year


def refuse_post(year: AssessmentYear, *, has_right: bool):
    """A POST the page does not offer: 409 with the reason when the user has the right but the
    year's inputs are closed (Art. 16: decided results change only through a correction), 403
    otherwise."""
    if has_right:
        guard_open(year)
    raise PermissionDenied


def back_to(name: str, *args, status: int | None = None):
    """A redirect to the named page, with another status when given (303 after a refusal)."""
    response = redirect(name, *args)
    if status:
        response.status_code = status
    return response


def evidence_of(subject) -> list[Evidence]:
    """The evidence files stored on a report, claim or finding, in the order they came."""
    return list(
        Evidence.objects.filter(
            subject_type__app_label=subject._meta.app_label,
            subject_type__model=subject._meta.model_name,
            subject_id=subject.pk,
        ).order_by("id")
    )


def upload_view(request, number: int, action: str, back: str, importer, done) -> HttpResponse:
    """A spreadsheet import (all or nothing): its messages on the page it came from, a file
    refused for its size or kind among them (the page with its import form, not an error page)."""
    year = year_of_user(request, number)
    access.require_action(request.user, year, action)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a spreadsheet file."))
        return back_to(back, number, status=303)
    try:
        counts = importer(year, form.cleaned_data["file"], request.user)
    except ValidationError as exc:
        show_errors(request, exc)
        return back_to(back, number, status=303)
    except UploadRejected as exc:
        messages.error(request, exc.message)
        return back_to(back, number, status=303)
    messages.success(request, done(counts))
    return redirect(back, number)
