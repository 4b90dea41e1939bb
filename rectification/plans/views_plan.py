"""The plan page: drafting, review and acceptance (Art. 20). Thin: fetch through core.access
(404 out of sight, 403 for an action not the user's), parse (400 for a field missing), call one
service (409 for a stale form), redirect (POST-redirect-GET)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import access, submissions, workitems
from core.errors import BadInput, Conflict
from core.forms import hidden_value
from core.models import Role

from ..models import Milestone, PlanItem, PlanItemOrigin, PlanState, RectificationPlan
from . import drafting
from .forms import ItemForm, milestone_formset, require_posted
from .policies import sees_whole_plan

P = PlanState


def _plan(request, pk: int) -> RectificationPlan:
    return access.get_visible_or_404(
        request.user,
        RectificationPlan.objects.select_related(
            "unit", "returned_by", "submitted_by", "reviewed_by", "accepted_by"
        ),
        pk=pk,
    )


def _acting(request, pk: int, action: str) -> RectificationPlan:
    """The plan as the user may see it (404), if the action is theirs (403)."""
    plan = _plan(request, pk)
    if not access.can_act(request.user, plan, action):
        raise PermissionDenied(_("Your role does not allow this action on this plan."))
    return plan


def _to_plan(plan_id: int, anchor: str = "", status: int = 302) -> HttpResponse:
    response = redirect(reverse("plan_detail", args=[plan_id]) + anchor)
    response.status_code = status
    return response


def _errors_to_messages(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def _round(data) -> int:
    from django import forms

    return hidden_value(
        data,
        "expected_round",
        label=_("the plan's round as the page showed it"),
        field=forms.IntegerField(min_value=1, max_value=32767),
    )


def _visible_items(user, plan: RectificationPlan):
    items = plan.items.select_related("responsible", "repeated_from__plan", "department")
    if not sees_whole_plan(user, plan):
        # A lead department sees the items whose problem came from its category.
        items = items.filter(department_id__in=access.units_for(user, Role.DEPT_ASSESSOR))
    return items.prefetch_related(
        Prefetch("milestones", queryset=Milestone.objects.order_by("position"))
    ).order_by("position")


@login_required
def plan_detail(request, pk: int):
    plan = _plan(request, pk)
    user = request.user
    items = list(_visible_items(user, plan))
    for item in items:
        # Reworked: saved since the plan was returned (the flag stays until it is resubmitted).
        item.reworked = bool(
            item.needs_rework and plan.returned_at and item.updated_at > plan.returned_at
        )
        item.fingerprint = drafting.item_fingerprint(item)
    state = plan.state
    whole = sees_whole_plan(user, plan)
    # A lead department reads its items and acts on none (its can_view would query per action).
    can = {
        a: whole and access.can_act(user, plan, a) for a in ("draft", "submit", "review", "accept")
    }
    context = {
        "plan": plan,
        "items": items,
        "whole": whole,
        "light": workitems.light_of(plan.due_at, workitems.light_thresholds())
        if state == P.DRAFTING
        else "",
        "show": {
            "draft": can["draft"] and state == P.DRAFTING,
            "submit": can["submit"] and state == P.DRAFTING,
            "review": can["review"] and state == P.SUBMITTED,
            "accept": can["accept"] and state == P.REVIEWED,
        },
        "own": PlanItemOrigin.OWN,
    }
    return render(request, "rectification/plans/plan_detail.html", context)


# --- the community drafts ---------------------------------------------------------------------


def _form_errors(form, milestones, error: ValidationError) -> None:
    """The service's errors on the fields they name; the milestones' above their rows."""
    for field, texts in getattr(error, "message_dict", {"__all__": error.messages}).items():
        if field == "milestones":
            milestones.non_form_errors().extend(texts)
        elif field in form.fields:
            for text in texts:
                form.add_error(field, text)
        else:
            for text in texts:
                form.add_error(None, text)


def _item_page(
    request, plan, form, milestones, *, item=None, token=None, expected=None, status=200
):
    context = {
        "expected_updated": expected or (drafting.item_fingerprint(item) if item else ""),
        "plan": plan,
        "item": item,
        "form": form,
        "milestones": milestones,
        "submission_token": token,
    }
    return render(request, "rectification/plans/plan_item_form.html", context, status=status)


def _draft_item(plan, item_pk: int) -> PlanItem:
    item = plan.items.filter(pk=item_pk).first()
    if item is None:
        from django.http import Http404

        raise Http404
    return item


def _while_drafting(request, plan) -> None:
    """A form of the draft posted after the plan left drafting is stale (409)."""
    if plan.state != P.DRAFTING:
        raise Conflict(
            _("This plan is now “%(state)s”: that is not possible now. Nothing was changed.")
            % {"state": plan.get_state_display()},
            url=plan.get_absolute_url(),
        )


def _parse(request, form, milestones) -> None:
    require_posted(request.POST, [*form.posted_names(), *milestones.posted_names(request.POST)])


@login_required
def plan_item_edit(request, pk: int, item_pk: int):
    plan = _acting(request, pk, "draft")
    item = _draft_item(plan, item_pk)
    _while_drafting(request, plan)
    current = list(item.milestones.order_by("position"))
    if request.method != "POST":
        form = ItemForm(
            unit_id=plan.unit_id,
            initial={
                "goal": item.goal,
                "measures": item.measures,
                "evidence_expected": item.evidence_expected,
                "responsible": item.responsible_id,
            },
        )
        return _item_page(request, plan, form, milestone_formset(current), item=item)
    form = ItemForm(request.POST, unit_id=plan.unit_id)
    milestones = milestone_formset(current, request.POST)
    _parse(request, form, milestones)
    expected = hidden_value(
        request.POST, "expected_updated", label=_("the item as the page showed it")
    )
    if form.is_valid() and milestones.is_valid():
        data = form.cleaned_data
        try:
            changed = drafting.plan_item_save(
                item_id=item.pk,
                acting_user=request.user,
                goal=data["goal"],
                measures=data["measures"],
                evidence_expected=data["evidence_expected"],
                responsible_id=data["responsible"],
                milestones=milestones.rows(),
                expected_updated=expected,
            )
        except ValidationError as exc:
            _form_errors(form, milestones, exc)
        else:
            messages.success(request, _("Item saved.") if changed else _("Nothing was changed."))
            return _to_plan(plan.pk, f"#item-{item.pk}")
    return _item_page(request, plan, form, milestones, item=item, expected=expected, status=400)


@login_required
def plan_item_add(request, pk: int):
    plan = _acting(request, pk, "draft")
    _while_drafting(request, plan)
    if request.method != "POST":
        form = ItemForm(unit_id=plan.unit_id, with_problem=True)
        return _item_page(request, plan, form, milestone_formset(), token=submissions.new_token())
    form = ItemForm(request.POST, unit_id=plan.unit_id, with_problem=True)
    milestones = milestone_formset((), request.POST)
    _parse(request, form, milestones)
    token = submissions.token_from(request.POST)
    if form.is_valid() and milestones.is_valid():
        data = form.cleaned_data
        try:
            item = drafting.plan_item_add(
                plan_id=plan.pk,
                acting_user=request.user,
                problem=data["problem"],
                goal=data["goal"],
                measures=data["measures"],
                evidence_expected=data["evidence_expected"],
                responsible_id=data["responsible"],
                milestones=milestones.rows(),
                token=token,
            )
        except ValidationError as exc:
            _form_errors(form, milestones, exc)
        else:
            messages.success(request, _("Item %(n)s added.") % {"n": item.position})
            return _to_plan(plan.pk, f"#item-{item.pk}")
    return _item_page(request, plan, form, milestones, token=str(token), status=400)


@login_required
@require_POST
def plan_item_remove(request, pk: int, item_pk: int):
    plan = _acting(request, pk, "draft")
    try:
        drafting.plan_item_remove(item_id=item_pk, acting_user=request.user)
    except ValidationError as exc:
        _errors_to_messages(request, exc)
        return _to_plan(plan.pk, status=303)
    messages.success(request, _("Item removed."))
    return _to_plan(plan.pk)


@login_required
@require_POST
def plan_submit(request, pk: int):
    plan = _acting(request, pk, "submit")
    try:
        drafting.plan_submit(
            plan_id=plan.pk, acting_user=request.user, expected_round=_round(request.POST)
        )
    except ValidationError as exc:
        _errors_to_messages(request, exc)
        return _to_plan(plan.pk, status=303)
    messages.success(request, _("Plan submitted to the Office."))
    return _to_plan(plan.pk)


# --- the Office reviews, the Leading Group accepts --------------------------------------------


def _decision(data) -> str:
    decision = hidden_value(data, "decision", label=_("the decision"))
    if decision not in (drafting.ACCEPT, drafting.RETURN):
        raise BadInput(_("Choose to pass the plan on or to return it."))
    return decision


@login_required
@require_POST
def plan_review(request, pk: int):
    plan = _acting(request, pk, "review")
    ids = list(plan.items.values_list("pk", flat=True))
    require_posted(request.POST, ["reason", *(f"comment-{i}" for i in ids)])
    expected_round = _round(request.POST)
    decision = _decision(request.POST)
    try:
        drafting.plan_review(
            plan_id=plan.pk,
            acting_user=request.user,
            decision=decision,
            comments={i: request.POST[f"comment-{i}"] for i in ids},
            reason=request.POST["reason"],
            expected_round=expected_round,
        )
    except ValidationError as exc:
        _errors_to_messages(request, exc)
        return _to_plan(plan.pk, "#review", status=303)
    messages.success(
        request,
        _("Plan passed on to the Leading Group.")
        if decision == drafting.ACCEPT
        else _("Plan returned to the community."),
    )
    return _to_plan(plan.pk)


@login_required
@require_POST
def plan_accept(request, pk: int):
    plan = _acting(request, pk, "accept")
    require_posted(request.POST, ["reason"])
    expected_round = _round(request.POST)
    decision = _decision(request.POST)
    try:
        drafting.plan_accept(
            plan_id=plan.pk,
            acting_user=request.user,
            decision=decision,
            reason=request.POST["reason"],
            expected_round=expected_round,
        )
    except ValidationError as exc:
        _errors_to_messages(request, exc)
        return _to_plan(plan.pk, "#accept", status=303)
    messages.success(
        request,
        _("Plan accepted: its milestones are in the community's to-do list.")
        if decision == drafting.ACCEPT
        else _("Plan returned to the community."),
    )
    return _to_plan(plan.pk)


urlpatterns = [
    path("plans/<int:pk>/", plan_detail, name="plan_detail"),
    path("plans/<int:pk>/items/add/", plan_item_add, name="plan_item_add"),
    path("plans/<int:pk>/items/<int:item_pk>/edit/", plan_item_edit, name="plan_item_edit"),
    path("plans/<int:pk>/items/<int:item_pk>/remove/", plan_item_remove, name="plan_item_remove"),
    path("plans/<int:pk>/submit/", plan_submit, name="plan_submit"),
    path("plans/<int:pk>/review/", plan_review, name="plan_review"),
    path("plans/<int:pk>/accept/", plan_accept, name="plan_accept"),
]
