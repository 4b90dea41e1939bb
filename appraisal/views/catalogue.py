"""The catalogue: its workbook (export, import), a department's sheet of it, one indicator's form
and the Office's approval (Art. 5)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import access
from core.downloads import xlsx_response
from core.forms import hidden_value

from .. import policies, posted
from ..files.catalogue import catalogue_workbook, import_catalogue
from ..files.category_sheet import category_workbook, import_category_sheet
from ..forms.catalogue import IndicatorForm
from ..models import Category, Indicator
from ..services.catalogue import (
    CATALOGUE_FIELDS,
    catalogue_approve,
    indicator_delete,
    indicator_save,
)
from .common import back_to, show_errors, upload_view, year_of_user


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
def category_export(request, number: int):
    """The sheet of the categories the user drafts (a department's, Art. 5)."""
    year = year_of_user(request, number)
    access.require_action(request.user, year, "draft_catalogue")
    own = list(policies.draftable_categories(request.user, year).order_by("sort_order", "code"))
    if not own:
        raise PermissionDenied
    codes = "-".join(c.code for c in own)
    return xlsx_response(
        category_workbook(year, own),
        ascii_name=f"catalogue-{year.year}-{codes}.xlsx",
        name=f"考核指标-{year.year}-{codes}.xlsx",
    )


@login_required
@require_POST
def category_import(request, number: int):
    """A department's sheet imported back (Art. 5): its own categories' indicators replaced."""

    def done(counts) -> str:
        return _("Indicators imported: %(i)s.") % {"i": counts.get("indicators", 0)}

    return upload_view(
        request, number, "draft_catalogue", "appraisal:year", import_category_sheet, done
    )


@login_required
@require_POST
def catalogue_approval(request, number: int):
    """The Office approves the whole catalogue as the page showed it (Art. 5)."""
    year = year_of_user(request, number)
    access.require_action(request.user, year, "edit_catalogue")
    digest = hidden_value(request.POST, "digest", label=_("the catalogue as the page showed it"))
    try:
        catalogue_approve(year_id=year.pk, acting_user=request.user, digest=digest)
    except ValidationError as exc:
        show_errors(request, exc)
        return back_to("appraisal:year", number, status=303)
    messages.success(request, _("Catalogue approved: the year can be started."))
    return redirect("appraisal:year", number)


@login_required
def indicator_edit(request, number: int, pk: int | None = None):
    """Add or change one indicator (Art. 5) while the year is being planned: the Office any, a
    department those of the category it leads."""
    year = year_of_user(request, number)
    access.require_action(request.user, year, "draft_catalogue")
    instance = None
    if pk is not None:
        instance = Indicator.objects.filter(year=year, pk=pk).select_related("category").first()
        if instance is None:
            raise Http404
        if not policies.can_draft(request.user, instance.category):
            raise PermissionDenied
    initial = {"category_id": instance.category_id} if instance else {}
    categories = policies.draftable_categories(request.user, year)
    if not categories.exists():
        raise PermissionDenied

    def make_form(data=None):
        return IndicatorForm(data, instance=instance, initial=initial, categories=categories)

    posted_category = request.POST.get("category_id", "")
    if (
        posted_category.isdigit()
        and not categories.filter(pk=int(posted_category)).exists()
        and Category.objects.filter(year=year, pk=int(posted_category)).exists()
    ):
        raise PermissionDenied  # Art. 5: another department's category
    form = make_form(request.POST or None)
    if request.method == "POST":
        if "delete" in request.POST and instance is not None:
            indicator_delete(year_id=year.pk, acting_user=request.user, pk=instance.pk)
            messages.success(request, _("Indicator deleted."))
            return redirect("appraisal:year", number)
        absent = posted.missing(request.POST, posted.form_fields(form))
        if absent:
            posted.refuse(request, absent)
            form = make_form()
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
