"""The Leading Group's decision page (Art. 16) and the interviews of the bottom units (Art. 18):
steps of the year-end process whose tasks lead here from the 待办."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from core import access
from core.forms import hidden_value

from .. import policies
from ..models import (
    AssessedUnit,
    Category,
    Decision,
    DecisionState,
    FullMarksException,
    Interview,
    InterviewState,
)
from ..results import compute
from ..selectors.year import year_checklist
from ..services.inputs import full_marks_exception_record
from ..services.yearend import decision_approve, decision_return, interview_record
from .common import year_of_user

STEP_CHOICES = (
    ("selfeval", gettext_lazy("The self-evaluation of named communities")),
    ("verify", gettext_lazy("The joint team's verification of named categories")),
    ("votes", gettext_lazy("The satisfaction evaluation")),
)


def _int(raw: str) -> int | None:
    return int(raw) if raw and raw.isdigit() else None


def _decision_context(year, decision, user, *, errors=None, values=None):
    results = compute(year, as_of=timezone.now(), details=False).results
    names = dict(AssessedUnit.objects.filter(year=year).values_list("code", "name"))
    units = sorted(results.units, key=lambda u: (u.rank, u.unit_id))
    checklist = year_checklist(year, now=timezone.now())
    categories = list(Category.objects.filter(year=year).order_by("sort_order", "code"))
    exceptions = dict(
        FullMarksException.objects.filter(year=year).values_list("category__code", "reason")
    )
    return {
        "year": year,
        "decision": decision,
        "earlier": Decision.objects.filter(year=year, round__lt=decision.round).order_by("round"),
        "units": [(u, names.get(u.unit_id, u.unit_id)) for u in units],
        "results": results,
        "breaking": [c for c in results.full_marks if c.breaks_cap],
        "exceptions": exceptions,
        "checklist": checklist,
        "categories": categories,
        "assessed": AssessedUnit.objects.filter(year=year).order_by("code"),
        "step_choices": STEP_CHOICES,
        "can_decide": policies.is_leader(user)
        and decision.state == DecisionState.OPEN
        and year.status == "year_end",
        "errors": errors or {},
        "values": values or {},
    }


@login_required
@require_http_methods(["GET", "POST"])
def decision(request, number: int, round: int):
    """The Leading Group decides: approve (the results are fixed), record a full-marks
    exception (Art. 4), or return a named step with a reason."""
    year = year_of_user(request, number)
    if not policies.sees_all(request.user):
        raise PermissionDenied
    item = Decision.objects.filter(year=year, round=round).first()
    if item is None:
        raise Http404
    if request.method == "GET":
        return render(
            request, "appraisal/yearend/decision.html", _decision_context(year, item, request.user)
        )
    if not policies.is_leader(request.user):
        raise PermissionDenied
    action = hidden_value(request.POST, "action", label=_("the action"))
    version = _int(hidden_value(request.POST, "version", label=_("the page's version")))
    if action == "exception":
        try:
            full_marks_exception_record(
                year_id=year.pk,
                acting_user=request.user,
                category_id=_int(request.POST.get("category", "")),
                reason=request.POST.get("reason", ""),
            )
        except ValidationError as exc:
            context = _decision_context(
                year, item, request.user, errors={"exception": exc.messages}
            )
            return render(request, "appraisal/yearend/decision.html", context, status=400)
        messages.success(request, _("The exception is recorded."))
        return redirect(item.get_absolute_url())
    if action == "approve":
        override = request.POST.get("override_reason") or None
        if request.POST.get("confirmed") != "1":
            context = _decision_context(year, item, request.user)
            context["override_reason"] = override or ""
            return render(request, "appraisal/yearend/decision_confirm.html", context)
        decision_approve(
            decision_id=item.pk,
            acting_user=request.user,
            expected_version=version,
            override_reason=override,
        )
        messages.success(request, _("The results are decided as of now (Art. 16)."))
        return redirect("appraisal:year", year.year)
    if action == "return":
        step = request.POST.get("step", "")
        target = {
            "step": step,
            "units": [_int(v) for v in request.POST.getlist("units") if _int(v)],
            "categories": [_int(v) for v in request.POST.getlist("categories") if _int(v)],
        }
        try:
            decision_return(
                decision_id=item.pk,
                acting_user=request.user,
                target=target,
                reason=request.POST.get("reason", ""),
                expected_version=version,
            )
        except ValidationError as exc:
            values = {
                "step": step,
                "units": set(target["units"]),
                "categories": set(target["categories"]),
                "reason": request.POST.get("reason", ""),
            }
            context = _decision_context(
                year, item, request.user, errors={"return": exc.messages}, values=values
            )
            return render(request, "appraisal/yearend/decision.html", context, status=400)
        messages.success(request, _("The results are returned; the step named is open again."))
        return redirect("appraisal:year", year.year)
    raise Http404


# --- interviews (Art. 18) ------------------------------------------------------------------------


def _interviews_visible(user, year):
    rows = Interview.objects.filter(year=year).select_related("unit", "notice", "recorded_by")
    if policies.sees_all(user):
        return rows
    # A community sees its own interview once it is recorded.
    return rows.filter(unit_id__in=access.community_ids(user), state=InterviewState.RECORDED)


@login_required
def interviews(request, number: int):
    year = year_of_user(request, number)
    if not (policies.sees_all(request.user) or access.community_ids(request.user)):
        raise PermissionDenied
    return render(
        request,
        "appraisal/yearend/interviews.html",
        {
            "year": year,
            "interviews": _interviews_visible(request.user, year).order_by("unit__code"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def interview(request, number: int, pk: int):
    year = year_of_user(request, number)
    row = _interviews_visible(request.user, year).filter(pk=pk).first()
    if row is None:
        raise Http404
    can_record = policies.is_office(request.user) and row.state == InterviewState.SCHEDULED
    errors, values, status = {}, {}, 200
    if request.method == "POST":
        if not policies.is_office(request.user):
            raise PermissionDenied
        version = _int(hidden_value(request.POST, "version", label=_("the page's version")))
        values = {
            "held_on": hidden_value(request.POST, "held_on", label=_("Date")),
            "participants": hidden_value(request.POST, "participants", label=_("Participants")),
            "content": hidden_value(request.POST, "content", label=_("Content")),
        }
        try:
            held_on = dt.date.fromisoformat(values["held_on"]) if values["held_on"] else None
        except ValueError:
            errors["held_on"] = [_("Enter a valid date.")]
            held_on = None
        if not errors:
            try:
                interview_record(
                    interview_id=row.pk,
                    acting_user=request.user,
                    held_on=held_on,
                    participants=values["participants"],
                    content=values["content"],
                    expected_version=version,
                )
            except ValidationError as exc:
                errors = exc.message_dict
            else:
                messages.success(request, _("The interview is recorded."))
                return redirect(row.get_absolute_url())
        status = 400
    return render(
        request,
        "appraisal/yearend/interview.html",
        {
            "year": year,
            "interview": row,
            "can_record": can_record,
            "errors": errors,
            "values": values,
            "today": timezone.localdate().isoformat(),
        },
        status=status,
    )
