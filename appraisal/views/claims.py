"""Bonus claims (Art. 6)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from core import access

from .. import policies
from ..forms.claims import ClaimForm, ObjectionForm, ObjectionResponseForm
from ..forms.common import DecisionForm
from ..models import AssessedUnit, BonusClaim, ClaimState
from ..selectors.claims import claim_counts, objections_of
from ..selectors.claims import publicity_board as publicity_board_of
from ..services.claims import (
    claim_decide,
    claim_declare,
    claim_review,
    objection_handle,
    objection_raise,
)
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
        BonusClaim.objects.select_related(
            "year", "unit", "declared_by", "reviewed_by", "decided_by"
        ),
        pk=pk,
    )
    year = claim.year
    user = request.user
    open_ = writable(year)
    can_review = (
        open_ and claim.status == ClaimState.DECLARED and access.can_act(user, claim, "review")
    )
    can_decide = (
        open_
        and claim.status == ClaimState.OFFICE_REVIEWED
        and access.can_act(user, claim, "decide")
    )
    in_publicity = claim.in_publicity(timezone.now())
    can_object = open_ and in_publicity and access.can_act(user, claim, "object")
    can_respond = open_ and access.can_act(user, claim, "review")
    step = request.POST.get("step") if request.method == "POST" else None
    form = DecisionForm(request.POST if step in ("review", "decide") else None)
    objection_form = ObjectionForm(request.POST if step == "object" else None)
    response_form = ObjectionResponseForm(request.POST if step == "respond" else None)
    if request.method == "POST":
        action = {"review": "review", "decide": "decide", "object": "object", "respond": "review"}
        if step not in action:
            raise PermissionDenied
        access.require_action(user, claim, action[step])
        bound = {"object": objection_form, "respond": response_form}.get(step, form)
        if bound.is_valid():
            data = bound.cleaned_data
            try:
                if step == "review":
                    claim_review(
                        claim_id=pk,
                        acting_user=user,
                        forward="yes" in request.POST,
                        note=data["note"],
                    )
                elif step == "decide":
                    claim_decide(
                        claim_id=pk,
                        acting_user=user,
                        approve="yes" in request.POST,
                        note=data["note"],
                    )
                elif step == "object":
                    objection_raise(claim_id=pk, acting_user=user, reason=data["reason"])
                else:
                    objection_handle(
                        objection_id=data["objection"],
                        claim_id=pk,
                        acting_user=user,
                        upheld=data["outcome"] == "upheld",
                        response=data["response"],
                    )
            except ValidationError as exc:
                show_errors(request, exc)
            else:
                done = {
                    "object": _("Objection raised; the Office handles it."),
                    "respond": _("Response to the objection recorded."),
                }
                messages.success(request, done.get(step, _("Decision recorded.")))
                return redirect("appraisal:claim", pk)
    counted, reasons = claim_counts(claim, year)
    objections = list(objections_of(claim))
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
            "in_publicity": in_publicity,
            "objections": objections,
            "objection_form": objection_form if can_object else None,
            "response_form": response_form if can_respond else None,
        },
    )


@login_required
def publicity_board(request, number: int):
    """The claims in publicity (通报展示, Art. 6), for every member of the sub-district."""
    year = year_of_user(request, number)
    rows = list(publicity_board_of(year, timezone.now()))
    return render(request, "appraisal/claim_publicity.html", {"year": year, "rows": rows})
