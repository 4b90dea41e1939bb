"""The item page: where the problem was found, the plan, the item, its milestones, progress,
close-out and whole history, with a form for each action the user may take (Art. 20).

Thin: parse, fetch through core.access (404 out of sight, 403 not the user's action), call one
service (409 for a stale form, raised there), redirect back to the page.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core import access
from core.errors import BadInput, Conflict
from core.forms import hidden_value

from ..models import Milestone, PlanItem, PlanItemState
from . import selectors_item, tracking
from .forms_item import (
    CloseRequestForm,
    ItemReturnForm,
    ItemVerifyForm,
    LinkForm,
    MilestoneDecisionForm,
    MilestoneExtensionForm,
    ProgressForm,
)

ACTIONS = ("progress", "request_close", "request_extension", "verify", "decide_extension")
ACTIONS += ("escalate", "link")

# The hidden fields that say what a form acts on, as the page showed it.
EXPECTED = {
    "expected_state": (
        forms.ChoiceField(choices=PlanItemState.choices),
        gettext_lazy("the item's state as the page showed it"),
    ),
    "expected_due_date": (
        forms.DateField(),
        gettext_lazy("the milestone's due date as the page showed it"),
    ),
    "expected_extension": (
        forms.IntegerField(min_value=1, max_value=2**31 - 1),
        gettext_lazy("the extension request the page showed"),
    ),
    "expected_repeats": (
        forms.IntegerField(min_value=1, max_value=2**31 - 1, required=False),
        gettext_lazy("the earlier item the page showed"),
    ),
}


def _expected(data, name: str):
    field, label = EXPECTED[name]
    return hidden_value(data, name, label=label, field=field)


def _present(data, form_class, *names: str) -> None:
    """A field the page's form always sends is missing: 400, never read as blank."""
    for name in names:
        if name not in data:
            label = form_class.base_fields[name].label
            raise BadInput(
                _(
                    "The form is incomplete: “%(field)s” is missing. Nothing was changed; reload "
                    "the page and submit the form again."
                )
                % {"field": label}
            )


def _form_errors(form) -> ValidationError:
    return ValidationError(
        [
            f"{form.fields[k].label if k in form.fields else ''} {e}".strip()
            for k, errs in form.errors.items()
            for e in errs
        ]
    )


# --- the page -----------------------------------------------------------------------------------


def _page(request, pk: int, *, bound: dict | None = None, status: int = 200) -> HttpResponse:
    user = request.user
    item = access.get_visible_or_404(user, selectors_item.item_queryset(), pk=pk)
    detail = selectors_item.item_detail(item, viewer=user)
    can = {a: access.can_act(user, item, a) for a in ACTIONS}
    carried_out = detail["being_carried_out"]
    open_milestones = detail["open_milestones"]
    show = {
        "progress": can["progress"] and carried_out,
        "close_request": can["request_close"] and carried_out,
        "request_extension": can["request_extension"] and carried_out,
        "decide": can["verify"] and item.state == PlanItemState.AWAITING,
        "decide_extension": can["decide_extension"],
        "escalate": can["escalate"] and item.state == PlanItemState.IN_PROGRESS,
        "link": can["link"],
    }
    context = {
        "item": item,
        "plan": item.plan,
        "show": show,
        "progress_form": ProgressForm(milestones=open_milestones),
        "close_form": CloseRequestForm(),
        "verify_form": ItemVerifyForm(),
        "return_form": ItemReturnForm(),
        "extension_form": MilestoneExtensionForm(),
        "decision_form": MilestoneDecisionForm(),
        "link_form": LinkForm(
            initial={"earlier": item.repeated_from_id},
            earlier_items=selectors_item.earlier_items(item) if show["link"] else (),
        ),
        "unreached": [m.title for m in open_milestones],
        "can_read_audit": access.can_read_audit(user),
        **detail,
        **(bound or {}),
    }
    return render(request, "rectification/plans/plan_item.html", context, status=status)


@login_required
def plan_item(request, pk: int):
    return _page(request, pk)


# --- actions (POST only) --------------------------------------------------------------------------


def _item_for(request, pk: int, action: str) -> PlanItem:
    item = access.get_visible_or_404(request.user, PlanItem.objects.select_related("plan"), pk=pk)
    if not access.can_act(request.user, item, action):
        raise PermissionDenied(_("Your role does not allow this action on this plan item."))
    return item


def _milestone_for(request, pk: int, action: str) -> Milestone:
    milestone = access.get_visible_or_404(
        request.user, Milestone.objects.select_related("item", "item__plan"), pk=pk
    )
    if not access.can_act(request.user, milestone.item, action):
        raise PermissionDenied(_("Your role does not allow this action on this plan item."))
    return milestone


def _to_page(item_id: int, status: int = 302, anchor: str = "") -> HttpResponse:
    response = redirect(reverse("plan_item", args=[item_id]) + anchor)
    response.status_code = status
    return response


def _run(request, item_id: int, run, anchor: str = "") -> HttpResponse:
    """Call the service; its ValidationError is shown on the page (303), nothing changed."""
    try:
        message = run()
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
        return _to_page(item_id, 303, anchor)
    messages.success(request, message)
    return _to_page(item_id, anchor=anchor)


@login_required
@require_POST
def plan_item_progress(request, pk: int):
    item = _item_for(request, pk, "progress")
    _present(request.POST, ProgressForm, "progress", "next_steps", "milestone")
    open_milestones = list(item.milestones.filter(done_at__isnull=True).order_by("position"))
    form = ProgressForm(request.POST, request.FILES, milestones=open_milestones)
    if not form.is_valid():
        if item.state != PlanItemState.IN_PROGRESS:
            raise Conflict(url=item.get_absolute_url())
        return _page(
            request, pk, bound={"progress_form": form, "form_again": "progress"}, status=400
        )
    try:
        tracking.progress_report(
            item_id=pk,
            acting_user=request.user,
            progress=form.cleaned_data["progress"],
            next_steps=form.cleaned_data["next_steps"],
            milestone_id=form.cleaned_data["milestone"],
            files=form.cleaned_data["files"],
        )
    except ValidationError as exc:
        form.add_error(None, exc)
        return _page(
            request, pk, bound={"progress_form": form, "form_again": "progress"}, status=400
        )
    reached = form.cleaned_data["milestone"] is not None
    messages.success(
        request, _("Milestone reached: reported.") if reached else _("Progress reported.")
    )
    return _to_page(pk)


def _text_action(request, pk: int, *, action: str, form_class, field: str, service, done: str):
    """An action on the item that takes one text field (the close-out summary, the Office's
    comment, the reason for a return): the field present, the form valid, the service called
    with the state the page showed."""
    _item_for(request, pk, action)
    expected = _expected(request.POST, "expected_state")
    _present(request.POST, form_class, field)
    form = form_class(request.POST)

    def run():
        if not form.is_valid():
            raise _form_errors(form)
        service(
            item_id=pk,
            acting_user=request.user,
            expected_state=expected,
            **{field: form.cleaned_data[field]},
        )
        return done

    return _run(request, pk, run)


@login_required
@require_POST
def plan_item_close_request(request, pk: int):
    return _text_action(
        request,
        pk,
        action="request_close",
        form_class=CloseRequestForm,
        field="summary",
        service=tracking.close_request,
        done=_("Close-out requested: the Office verifies it."),
    )


@login_required
@require_POST
def plan_item_verify(request, pk: int):
    return _text_action(
        request,
        pk,
        action="verify",
        form_class=ItemVerifyForm,
        field="comment",
        service=tracking.item_verify,
        done=_("Item closed out (销号)."),
    )


@login_required
@require_POST
def plan_item_return(request, pk: int):
    return _text_action(
        request,
        pk,
        action="verify",
        form_class=ItemReturnForm,
        field="reason",
        service=tracking.item_return,
        done=_("Close-out returned for further rectification."),
    )


@login_required
@require_POST
def plan_item_link(request, pk: int):
    _item_for(request, pk, "link")
    expected = _expected(request.POST, "expected_repeats")
    _present(request.POST, LinkForm, "earlier")
    form = LinkForm(
        request.POST,
        earlier_items=selectors_item.earlier_items(
            PlanItem.objects.select_related("plan").get(pk=pk)
        ),
    )

    def run():
        if not form.is_valid():
            raise _form_errors(form)
        earlier = form.cleaned_data["earlier"]
        tracking.item_link_repeated(
            item_id=pk, acting_user=request.user, earlier_item_id=earlier, expected_repeats=expected
        )
        return _("Link saved.") if earlier else _("Link removed.")

    return _run(request, pk, run, "#repeats")


@login_required
@require_POST
def plan_milestone_extension(request, pk: int):
    milestone = _milestone_for(request, pk, "request_extension")
    _present(request.POST, MilestoneExtensionForm, "requested_date", "reason")
    form = MilestoneExtensionForm(request.POST)

    def run():
        if not form.is_valid():
            raise _form_errors(form)
        tracking.milestone_extension_request(
            milestone_id=pk,
            acting_user=request.user,
            requested_date=form.cleaned_data["requested_date"],
            reason=form.cleaned_data["reason"],
        )
        return _("Extension requested: the Office decides.")

    return _run(request, milestone.item_id, run, f"#milestone-{pk}")


@login_required
@require_POST
def plan_extension_decide(request, pk: int):
    milestone = _milestone_for(request, pk, "decide_extension")
    extension_id = _expected(request.POST, "expected_extension")
    _present(request.POST, MilestoneDecisionForm, "granted_date", "reason")
    if ("grant" in request.POST) == ("refuse" in request.POST):
        # The page's two buttons send one of the two names: neither is not a refusal.
        raise BadInput(_("Choose to grant or to refuse the extension."))
    if not milestone.extensions.filter(pk=extension_id).exists():
        raise Conflict(url=milestone.get_absolute_url())
    form = MilestoneDecisionForm(request.POST)
    grant = "grant" in request.POST

    def run():
        if not form.is_valid():
            raise _form_errors(form)
        tracking.milestone_extension_decide(
            extension_id=extension_id,
            acting_user=request.user,
            grant=grant,
            reason=form.cleaned_data["reason"],
            granted_date=form.cleaned_data["granted_date"],
        )
        return _("Extension granted.") if grant else _("Extension refused.")

    return _run(request, milestone.item_id, run, f"#milestone-{pk}")


@login_required
@require_POST
def plan_milestone_escalate(request, pk: int):
    milestone = _milestone_for(request, pk, "escalate")
    expected = _expected(request.POST, "expected_due_date")

    def run():
        notice = tracking.milestone_escalate(
            milestone_id=pk, acting_user=request.user, expected_due_date=expected
        )
        return _(
            "A draft contact sheet (整改联系单) is made for the missed milestone: issue it from "
            "its page (%(subject)s)."
        ) % {"subject": notice.subject}

    return _run(request, milestone.item_id, run, f"#milestone-{pk}")


urlpatterns = [
    path("plans/items/<int:pk>/", plan_item, name="plan_item"),
    path("plans/items/<int:pk>/progress/", plan_item_progress, name="plan_item_progress"),
    path(
        "plans/items/<int:pk>/close-request/",
        plan_item_close_request,
        name="plan_item_close_request",
    ),
    path("plans/items/<int:pk>/verify/", plan_item_verify, name="plan_item_verify"),
    path("plans/items/<int:pk>/return/", plan_item_return, name="plan_item_return"),
    path("plans/items/<int:pk>/link/", plan_item_link, name="plan_item_link"),
    path(
        "plans/milestones/<int:pk>/extension/",
        plan_milestone_extension,
        name="plan_milestone_extension",
    ),
    path(
        "plans/milestones/<int:pk>/extension/decide/",
        plan_extension_decide,
        name="plan_extension_decide",
    ),
    path(
        "plans/milestones/<int:pk>/escalate/",
        plan_milestone_escalate,
        name="plan_milestone_escalate",
    ),
]
