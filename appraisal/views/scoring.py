"""Department scoring (scoring.md §1) and the in-year adjustments and spot checks (Art. 10)."""

from __future__ import annotations

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
from django.views.decorators.http import require_POST

from core import access, submissions
from core.models import Unit
from rectification.forms import NoticeForm
from rectification.policies import ISSUER_ROLES
from rectification.services import NoticeInput

from .. import policies, posted
from ..forms.scoring import AdjustmentForm, SpotCheckForm
from ..models import (
    Adjustment,
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
from ..services.scoring import (
    CellInput,
    adjustment_add,
    scoring_grid_save,
    spot_check_add,
    spot_check_notice_conflict,
    spot_check_notice_raise,
)
from ..services.scoring import adjustment_withdraw as adjustment_withdraw_service
from .common import back_to, refuse_post, show_errors, year_of_user


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
        # Two forms on one page: each has its prefix, so that every label names its own input.
        adj_form = AdjustmentForm(
            request.POST if request.POST.get("form") == "adjustment" else None,
            initial={"date": timezone.localdate()},
            prefix="adjustment",
        )
        check_form = SpotCheckForm(
            request.POST if request.POST.get("form") == "spot_check" else None,
            initial={"date": timezone.localdate()},
            prefix="spot_check",
        )
        for form in (adj_form, check_form):
            form.fields["unit"].choices = units
            form.fields["category"].choices = cat_choices
        check_form.fields["indicator"].choices = [("", "—")] + [
            (i.pk, f"{i.code} {i.name}")
            for i in Indicator.objects.filter(category__in=writable_cats).order_by("code")
        ]
    status = 200
    if request.method == "POST":
        form = {"adjustment": adj_form, "spot_check": check_form}.get(request.POST.get("form"))
        if form is None:
            refuse_post(year, has_right=bool(writer_categories(user, year)))
        status = 400
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
                _mark_fields(form, exc)
            else:
                return redirect("appraisal:adjustments", number)
    adj, checks = adjustments_and_checks(year, visible)
    withdrawable = {c.pk for c in writable_cats}
    return render(
        request,
        "appraisal/adjustments.html",
        {
            "year": year,
            "adjustments": [(a, a.category_id in withdrawable) for a in adj],
            "checks": [(c, _notice_link(c)) for c in checks],
            "adj_form": adj_form,
            "check_form": check_form,
            "can_issue": access.has_role(user, "office_staff", "dept_assessor"),
        },
        status=status,
    )


def _mark_fields(form, exc: ValidationError) -> None:
    """A refusal that names a field is shown at that field too (the form keeps what was typed)."""
    for field, errors in getattr(exc, "error_dict", {}).items():
        if field in form.fields:
            form.add_error(field, errors)


@login_required
@require_POST
def adjustment_withdraw(request, number: int, pk: int):
    """Withdraw a wrong addition or deduction with a reason (Art. 10): struck through, not
    counted."""
    year = year_of_user(request, number)
    adj = Adjustment.objects.filter(year=year, pk=pk).first()
    if adj is None:
        raise Http404
    # A second withdrawal (a page left open) is answered by the service with 409.
    try:
        adjustment_withdraw_service(
            adjustment_id=adj.pk,
            acting_user=request.user,
            reason=request.POST.get("reason", ""),
        )
    except ValidationError as exc:
        show_errors(request, exc)
        return back_to("appraisal:adjustments", number, status=303)
    messages.success(request, _("Adjustment withdrawn."))
    return redirect("appraisal:adjustments", number)


def _notice_link(check: SpotCheck) -> str:
    """“Issue a notice”: the notice form prefilled from the spot check (Art. 10, 11)."""
    return reverse("appraisal:spot_check_notice", args=[check.year.year, check.pk])


def _notice_initial(check: SpotCheck) -> dict:
    basis = (
        f"{check.indicator.code} {check.indicator.name}"
        if check.indicator
        else f"{check.category.code} {check.category.name}"
    )
    return {
        "kind": "contact",
        "targets": [check.unit_id],
        "subject": _("Spot check %(date)s: %(cat)s")
        % {"date": check.date, "cat": check.category.name},
        "problem": check.findings,
        "basis": basis,
    }


@login_required
def spot_check_notice(request, number: int, pk: int):
    """The notice form prefilled from a spot check, for the community checked; the notice
    raised is linked to the check (Art. 10, 11)."""
    year = year_of_user(request, number)
    user = request.user
    visible = policies.visible_categories(user, year)
    check = (
        SpotCheck.objects.filter(year=year, pk=pk, category__in=visible)
        .select_related("unit", "category", "indicator", "notice")
        .first()
    )
    if check is None:
        raise Http404
    issuers = list(
        Unit.objects.filter(pk__in=access.units_for(user, *ISSUER_ROLES), is_active=True).order_by(
            "kind", "sort_order"
        )
    )
    if not issuers:
        raise PermissionDenied
    if check.notice_id is not None:
        if request.method == "POST":  # a page left open, sent again
            raise spot_check_notice_conflict(check)
        return redirect("notice_detail", pk=check.notice_id)
    token = submissions.new_token()
    if request.method == "POST":
        token = str(submissions.token_from(request.POST))
    form = NoticeForm(
        request.POST or None,
        initial=_notice_initial(check),
        issuer_units=issuers,
        communities=[check.unit],
        allow_bulk=False,
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        issue_now = "issue" in request.POST
        try:
            check = spot_check_notice_raise(
                check_id=check.pk,
                acting_user=user,
                token=token,
                data=NoticeInput(
                    kind=d["kind"],
                    issuing_unit_id=d["issuing_unit"],
                    subject=d["subject"],
                    problem=d["problem"],
                    basis=d["basis"],
                    reply_due=d["reply_due"],
                    measures_due=d["measures_due"],
                    interview_required=d["interview_required"],
                ),
                issue_now=issue_now,
            )
        except ValidationError as exc:
            show_errors(request, exc)
        else:
            messages.success(
                request, _("Issued %(n)s notice(s).") % {"n": 1} if issue_now else _("Draft saved.")
            )
            return redirect("notice_detail", pk=check.notice_id)
    return render(
        request,
        "rectification/notice_form.html",
        {"form": form, "notice": None, "submission_token": token},
        status=400 if request.method == "POST" else 200,
    )
