"""The catalogue: its workbook (export, import) and one indicator's form (Art. 5)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import access
from core.downloads import xlsx_response

from .. import posted
from ..files.catalogue import catalogue_workbook, import_catalogue
from ..forms.catalogue import IndicatorForm
from ..models import Indicator
from ..services.catalogue import CATALOGUE_FIELDS, indicator_delete, indicator_save
from .common import show_errors, upload_view, year_of_user


@login_required
def catalogue_export(request, number: int):
    year = year_of_user(request, number)
    return xlsx_response(
        catalogue_workbook(year),
        ascii_name=f"catalogue-{year.year}.xlsx",
        name=f"考核指标-{year.year}.xlsx",
    )


@login_required
@require_POST
def catalogue_import(request, number: int):
    def done(counts) -> str:
        return _("Catalogue imported: %(c)s categories, %(i)s indicators.") % {
            "c": counts.get("categories", 0),
            "i": counts.get("indicators", 0),
        }

    return upload_view(request, number, "edit_catalogue", "appraisal:year", import_catalogue, done)


@login_required
def indicator_edit(request, number: int, pk: int | None = None):
    """Add or change one indicator (Art. 5) while the year is being planned."""
    year = year_of_user(request, number)
    access.require_action(request.user, year, "edit_catalogue")
    instance = None
    if pk is not None:
        instance = Indicator.objects.filter(year=year, pk=pk).first()
        if instance is None:
            raise Http404
    initial = {"category_id": instance.category_id} if instance else {}
    form = IndicatorForm(request.POST or None, instance=instance, initial=initial, year=year)
    if request.method == "POST":
        if "delete" in request.POST and instance is not None:
            indicator_delete(year_id=year.pk, acting_user=request.user, pk=instance.pk)
            messages.success(request, _("Indicator deleted."))
            return redirect("appraisal:year", number)
        absent = posted.missing(request.POST, posted.form_fields(form))
        if absent:
            posted.refuse(request, absent)
            form = IndicatorForm(instance=instance, initial=initial, year=year)
            context = {"year": year, "form": form, "indicator": instance}
            return render(request, "appraisal/indicator_form.html", context, status=400)
        if form.is_valid():
            values = {f: form.cleaned_data.get(f) for f in CATALOGUE_FIELDS}
            try:
                indicator_save(
                    year_id=year.pk,
                    acting_user=request.user,
                    values=values,
                    pk=instance.pk if instance else None,
                )
            except ValidationError as exc:
                show_errors(request, exc)
            else:
                messages.success(request, _("Indicator saved."))
                return redirect("appraisal:year", number)
    return render(
        request,
        "appraisal/indicator_form.html",
        {"year": year, "form": form, "indicator": instance},
    )
