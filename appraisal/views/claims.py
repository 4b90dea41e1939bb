"""Bonus claims (Art. 6)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from core import access

from .. import policies
from ..forms.claims import ClaimForm
from ..forms.common import DecisionForm
from ..models import AssessedUnit, BonusClaim, ClaimState
from ..selectors.claims import claim_counts
from ..services.claims import claim_decide, claim_declare, claim_review
from ..services.common import writable
from .common import evidence_of, refuse_post, show_errors, year_of_user


@login_required
def claim_list(request, number: int):
    year = year_of_user(request, number)
    user = request.user
    own = policies.community_ids(user)
    if not (policies.sees_all(user) or own):
        raise PermissionDenied
    assessed = dict(
        AssessedUnit.objects.filter(year=year, unit_id__in=own).values_list("unit_id", "name")
    )
    form = None
    if assessed and writable(year) and year.claim_declare_by:
        form = ClaimForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                claim = claim_declare(
                    year_id=year.pk,
                    acting_user=user,
                    unit_id=next(iter(assessed)),
                    level=data["level"],
                    title=data["title"],
                    description=data["description"],
                    files=data["files"],
                )
            except ValidationError as exc:
                show_errors(request, exc)
            else:
                if claim.late:
                    messages.warning(
                        request,
                        _(
                            "Declared after the deadline: recorded, but it will not "
                            "count (Art. 12)."
                        ),
                    )
                else:
                    messages.success(request, _("Claim declared; the Office reviews it."))
                return redirect("appraisal:claim", claim.pk)
    elif request.method == "POST":
        refuse_post(year, has_right=bool(assessed))
    claims = access.visible(
        user, BonusClaim.objects.filter(year=year).select_related("unit").order_by("-declared_at")
    )
    rows = [(c, *claim_counts(c, year)) for c in claims]
    return render(
        request,
        "appraisal/claim_list.html",
        {"year": year, "rows": rows, "form": form},
    )


@login_required
def claim_detail(request, pk: int):
    claim = access.get_visible_or_404(
        request.user,
        BonusClaim.objects.select_related("year", "unit", "declared_by"),
        pk=pk,
    )
    year = claim.year
    open_ = writable(year)
    can_review = (
        open_
        and claim.status == ClaimState.DECLARED
        and access.can_act(request.user, claim, "review")
    )
    can_decide = (
        open_
        and claim.status == ClaimState.OFFICE_REVIEWED
        and access.can_act(request.user, claim, "decide")
    )
    form = DecisionForm(request.POST or None)
    if request.method == "POST":
        step = request.POST.get("step")
        if step == "review":
            access.require_action(request.user, claim, "review")
        elif step == "decide":
            access.require_action(request.user, claim, "decide")
        else:
            raise PermissionDenied
        if form.is_valid():
            positive = "yes" in request.POST
            try:
                if step == "review":
                    claim_review(
                        claim_id=pk,
                        acting_user=request.user,
                        forward=positive,
                        note=form.cleaned_data["note"],
                    )
                else:
                    claim_decide(
                        claim_id=pk,
                        acting_user=request.user,
                        approve=positive,
                        note=form.cleaned_data["note"],
                    )
            except ValidationError as exc:
                show_errors(request, exc)
            else:
                messages.success(request, _("Decision recorded."))
                return redirect("appraisal:claim", pk)
    counted, reasons = claim_counts(claim, year)
    return render(
        request,
        "appraisal/claim_detail.html",
        {
            "year": year,
            "claim": claim,
            "counted": counted,
            "reasons": reasons,
            "files": evidence_of(claim),
            "form": form if (can_review or can_decide) else None,
            "step": "review" if can_review else "decide",
        },
    )
