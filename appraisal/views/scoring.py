"""Department scoring (scoring.md §1) and the in-year adjustments and spot checks (Art. 10)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import access

from .. import policies, posted
from ..forms.scoring import AdjustmentForm, SpotCheckForm
from ..models import (
    AssessedUnit,
    Category,
    Indicator,
    SpotCheck,
    YearStatus,
)
from ..selectors.scoring import (
    adjustments_and_checks,
    scoring_grid,
    unit_choices,
    writer_categories,
)
from ..services.common import writable
from ..services.scoring import CellInput, adjustment_add, scoring_grid_save, spot_check_add
from .common import refuse_post, show_errors, year_of_user


@login_required
def scoring(request, number: int, code: str):
    """A grid of communities × indicators of one category, for its lead department (R4)."""
    year = year_of_user(request, number)
    category = Category.objects.filter(year=year, code=code).first()
    if category is None:
        raise Http404
    can_edit = policies.can_score(request.user, category)
    if not (can_edit or policies.sees_all(request.user)):
        raise Http404  # another department's category does not exist for this user
    indicators = list(Indicator.objects.filter(category=category).order_by("code"))
    units = list(AssessedUnit.objects.filter(year=year).order_by("code"))
    open_ = writable(year)
    editable = can_edit and open_ and year.status != YearStatus.PLANNING
    # The joint team's verified values: entered by the Office at the year-end appraisal.
    verifying = (
        policies.is_office(request.user)
        and open_
        and (year.status == YearStatus.YEAR_END or year.inputs_closed)
    )
    status = 200
    refused: dict[str, list[str]] = {}
    if request.method == "POST":
        if not (editable or verifying):
            refuse_post(year, has_right=can_edit or policies.is_office(request.user))
        shown: dict[str, object] = {}
        for unit in units:
            for ind in indicators:
                cell = f"{unit.unit_id}-{ind.pk}"
                if editable:
                    shown[f"s-{cell}"] = format_lazy("{} · {}", unit.name, ind.code)
                    shown[f"c-{cell}"] = format_lazy(
                        "{} · {} · {}", unit.name, ind.code, gettext_lazy("comment")
                    )
                if verifying:
                    shown[f"v-{cell}"] = format_lazy(
                        "{} · {} · {}", unit.name, ind.code, gettext_lazy("verified")
                    )
        absent = posted.missing(request.POST, shown)
        if absent:
            posted.refuse(request, absent)
            status = 400
    if request.method == "POST" and status == 200:
        # Every cell the grid shows is present (checked above); an empty box clears the
        # department's score, or for the joint team keeps the department's (the page says so).

        def cells(prefix: str) -> list:
            return [
                CellInput(
                    unit_id=unit.unit_id,
                    indicator_id=ind.pk,
                    score=request.POST.get(f"{prefix}-{unit.unit_id}-{ind.pk}", ""),
                    comment=request.POST.get(f"c-{unit.unit_id}-{ind.pk}", ""),
                )
                for unit in units
                for ind in indicators
                if f"{prefix}-{unit.unit_id}-{ind.pk}" in request.POST
            ]

        try:
            n = scoring_grid_save(
                year_id=year.pk,
                category_id=category.pk,
                acting_user=request.user,
                scores=cells("s") if editable else None,
                verified=cells("v") if verifying else None,
            )
        except ValidationError as exc:
            # Nothing was saved: the grid comes back with every typed value and the refused
            # cells marked, each message naming the community and the indicator.
            show_errors(request, exc)
            refused = getattr(exc, "error_dict", {}) or {"": exc.messages}
            status = 400
        else:
            messages.success(request, _("%(n)s score(s) saved.") % {"n": n})
            return redirect("appraisal:scoring", number, code)

    rows, due_so_far = scoring_grid(
        year, category, units, indicators, now=timezone.now(), closed=year.inputs_closed
    )
    _values(rows, request.POST if status == 400 else None, refused)
    return render(
        request,
        "appraisal/scoring.html",
        {
            "year": year,
            "category": category,
            "indicators": indicators,
            "rows": rows,
            "editable": editable,
            "verifying": verifying,
            "due_so_far": due_so_far,
            "refused": bool(refused),
        },
        status=status,
    )


def _values(rows, typed, refused) -> None:
    """What each box shows: the stored values, or on a refused grid what was typed (nothing
    of it was saved), with the refused boxes marked."""
    for unit, cells in rows:
        for c in cells:
            key = f"{unit.unit_id}-{c['indicator'].pk}"
            score = c["score"]
            stored = {
                "s": score.department_score if score else None,
                "c": score.comment if score else "",
                "v": score.verified_score if score else None,
            }
            for prefix, value in stored.items():
                name = f"{prefix}-{key}"
                if typed is not None and name in typed:
                    value = typed[name]
                c[f"{prefix}_value"] = "" if value is None else str(value)
                c[f"{prefix}_bad"] = name in refused


@login_required
def adjustments(request, number: int):
    """In-year additions and deductions (加扣分, Art. 10) and spot checks, per category."""
    year = year_of_user(request, number)
    user = request.user
    visible = policies.visible_categories(user, year)
    if not (policies.sees_all(user) or visible.exists()):
        raise PermissionDenied
    writable_cats = writer_categories(user, year) if writable(year) else []
    units = unit_choices(year)
    adj_form = check_form = None
    if writable_cats:
        cat_choices = [(c.pk, f"{c.code} {c.name}") for c in writable_cats]
        adj_form = AdjustmentForm(
            request.POST if request.POST.get("form") == "adjustment" else None,
            initial={"date": timezone.localdate()},
        )
        check_form = SpotCheckForm(
            request.POST if request.POST.get("form") == "spot_check" else None,
            initial={"date": timezone.localdate()},
        )
        for form in (adj_form, check_form):
            form.fields["unit"].choices = units
            form.fields["category"].choices = cat_choices
        check_form.fields["indicator"].choices = [("", "—")] + [
            (i.pk, f"{i.code} {i.name}")
            for i in Indicator.objects.filter(category__in=writable_cats).order_by("code")
        ]
    if request.method == "POST":
        form = {"adjustment": adj_form, "spot_check": check_form}.get(request.POST.get("form"))
        if form is None:
            refuse_post(year, has_right=bool(writer_categories(user, year)))
        if form.is_valid():
            data = form.cleaned_data
            try:
                if form is adj_form:
                    adjustment_add(
                        year_id=year.pk,
                        acting_user=user,
                        unit_id=data["unit"],
                        category_id=data["category"],
                        points=data["points"],
                        reason=data["reason"],
                        source=data["source"],
                        date=data["date"],
                    )
                    messages.success(request, _("Adjustment recorded."))
                else:
                    spot_check_add(
                        year_id=year.pk,
                        acting_user=user,
                        unit_id=data["unit"],
                        category_id=data["category"],
                        indicator_id=data["indicator"],
                        date=data["date"],
                        findings=data["findings"],
                    )
                    messages.success(request, _("Spot check recorded."))
            except ValidationError as exc:
                show_errors(request, exc)
            else:
                return redirect("appraisal:adjustments", number)
    adj, checks = adjustments_and_checks(year, visible)
    return render(
        request,
        "appraisal/adjustments.html",
        {
            "year": year,
            "adjustments": adj,
            "checks": [(c, _notice_link(c)) for c in checks],
            "adj_form": adj_form,
            "check_form": check_form,
            "can_issue": access.has_role(user, "office_staff", "dept_assessor"),
        },
    )


def _notice_link(check: SpotCheck) -> str:
    """“Issue a notice”: the notice form prefilled from the spot check (Art. 10, 11)."""
    basis = (
        f"{check.indicator.code} {check.indicator.name}"
        if check.indicator
        else f"{check.category.code} {check.category.name}"
    )
    params = {
        "target": check.unit_id,
        "subject": _("Spot check %(date)s: %(cat)s")
        % {"date": check.date, "cat": check.category.name},
        "problem": check.findings,
        "basis": basis,
    }
    return reverse("notice_new") + "?" + urlencode(params)
