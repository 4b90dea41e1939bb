"""Fraud findings (Art. 19)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from core import access

from .. import policies
from ..forms.common import DecisionForm
from ..forms.fraud import FraudForm
from ..models import Category, FraudFinding, FraudState
from ..selectors.scoring import unit_choices
from ..services.common import writable
from ..services.fraud import fraud_decide, fraud_record
from .common import evidence_of, refuse_post, show_errors, year_of_user


@login_required
def fraud_list(request, number: int):
    year = year_of_user(request, number)
    if not policies.sees_all(request.user):
        raise PermissionDenied
    form = None
    if policies.is_office(request.user) and writable(year):
        form = FraudForm(request.POST or None, request.FILES or None)
        form.fields["unit"].choices = unit_choices(year)
        form.fields["category"].choices = [
            (c.pk, f"{c.code} {c.name}") for c in Category.objects.filter(year=year)
        ]
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                finding = fraud_record(
                    year_id=year.pk,
                    acting_user=request.user,
                    unit_id=data["unit"],
                    category_id=data["category"],
                    reason=data["reason"],
                    files=data["files"],
                )
            except ValidationError as exc:
                show_errors(request, exc)
            else:
                messages.success(request, _("Finding recorded; the Leading Group decides it."))
                return redirect("appraisal:fraud", number, finding.pk)
    elif request.method == "POST":
        refuse_post(year, has_right=policies.is_office(request.user))
    findings = (
        FraudFinding.objects.filter(year=year)
        .select_related("unit", "category", "recorded_by", "decided_by")
        .order_by("-recorded_at")
    )
    return render(
        request, "appraisal/fraud_list.html", {"year": year, "findings": findings, "form": form}
    )


@login_required
def fraud_detail(request, number: int, pk: int):
    year = year_of_user(request, number)
    finding = access.get_visible_or_404(
        request.user,
        FraudFinding.objects.filter(year=year).select_related(
            "unit", "category", "recorded_by", "decided_by", "year"
        ),
        pk=pk,
    )
    can_decide = (
        finding.state == FraudState.PROPOSED
        and access.can_act(request.user, finding, "decide")
        and writable(year)
    )
    form = DecisionForm(request.POST or None)
    if request.method == "POST":
        access.require_action(request.user, finding, "decide")
        if form.is_valid():
            try:
                fraud_decide(
                    finding_id=pk,
                    acting_user=request.user,
                    uphold="uphold" in request.POST,
                    note=form.cleaned_data["note"],
                )
            except ValidationError as exc:
                show_errors(request, exc)
            else:
                messages.success(request, _("Decision recorded."))
                return redirect("appraisal:fraud", number, pk)
    return render(
        request,
        "appraisal/fraud_detail.html",
        {
            "year": year,
            "finding": finding,
            "form": form if can_decide else None,
            "files": evidence_of(finding),
        },
    )
