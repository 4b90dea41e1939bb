"""The communities' self-evaluation (自查自评, Art. 15): the year's overview for those who see every
community, and each community's page with its special report and self-evaluation form. The
community's staff drafts and hands it to the Party secretary, who submits it or sends it back;
everyone else who may read it reads it only."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core import access
from core.errors import BadInput, Conflict
from core.forms import hidden_value
from core.models import Role

from .. import policies
from ..models import AssessedUnit, Indicator, SelfEvaluation, SelfEvaluationState
from ..selectors.selfeval import selfeval_overview
from ..services import selfeval as services
from .common import year_of_user

ACTIONS = ("save", "to_secretary", "send_back", "submit")


@login_required
@require_GET
def overview(request, number: int):
    """Every community's self-evaluation: state, round, due and submitted time, late (Art. 12)."""
    year = year_of_user(request, number)
    if not policies.may_read_all_selfevals(request.user):
        raise PermissionDenied
    rows = selfeval_overview(year=year)
    return render(
        request,
        "appraisal/selfeval/overview.html",
        {
            "year": year,
            "rows": rows,
            "submitted": sum(
                1 for r in rows if r.selfeval and r.selfeval.state == SelfEvaluationState.SUBMITTED
            ),
            "late": sum(1 for r in rows if r.selfeval and r.selfeval.late),
        },
    )


def _int(value: str, label) -> int:
    if not value.isdigit():
        raise BadInput(
            _(
                "The form's “%(field)s” is not valid. Nothing was changed; reload the page "
                "and submit the form again."
            )
            % {"field": label}
        )
    return int(value)


def _posted_form(post, indicators) -> tuple[str, dict[int, tuple[str, str]]]:
    """The report and every indicator's score and note; a missing field is a 400, never blank."""
    report = hidden_value(post, "report", label=_("Special report"))
    scores = {
        ind.pk: (
            hidden_value(post, f"s-{ind.pk}", label=f"{ind.name} · {_('Self-score')}"),
            hidden_value(post, f"n-{ind.pk}", label=f"{ind.name} · {_('Note')}"),
        )
        for ind in indicators
    }
    return report, scores


def _act(request, row: SelfEvaluation, indicators) -> str:
    """Run the posted action through the services; the message to show after it."""
    action = hidden_value(request.POST, "action", label=_("the action"))
    if action not in ACTIONS:
        raise BadInput(_("Unknown action. Nothing was changed."))
    version = _int(hidden_value(request.POST, "version", label=_("the page's version")), "version")
    user = request.user
    if action == "send_back":
        services.selfeval_send_back(
            selfeval_id=row.pk,
            acting_user=user,
            comment=hidden_value(request.POST, "comment", label=_("Comment")),
            expected_version=version,
        )
        return _("The self-evaluation was sent back to the staff with your comment.")
    done = _("Nothing changed.")
    if row.state == SelfEvaluationState.DRAFT:
        report, scores = _posted_form(request.POST, indicators)
        changed = services.selfeval_save(
            selfeval_id=row.pk,
            acting_user=user,
            report=report,
            scores=scores,
            expected_version=version,
            files=request.FILES.getlist("files"),
            remove_files=[int(v) for v in request.POST.getlist("remove") if v.isdigit()],
        )
        version += int(changed)
        done = _("The draft was saved.") if changed else done
    elif action in ("save", "to_secretary"):
        raise Conflict(
            _("This self-evaluation is no longer a draft. Nothing was changed."),
            url=row.get_absolute_url(),
        )
    if action == "to_secretary":
        services.selfeval_to_secretary(
            selfeval_id=row.pk, acting_user=user, expected_version=version
        )
        return _("The self-evaluation was handed to the Party secretary.")
    if action == "submit":
        row = services.selfeval_submit(
            selfeval_id=row.pk, acting_user=user, expected_version=version
        )
        if row.late:
            return _(
                "The self-evaluation was submitted after its due time: it is accepted and "
                "marked late (Art. 12)."
            )
        return _("The self-evaluation was submitted.")
    return done


def _items(row, indicators, posted=None, errors=None) -> list[dict]:
    """Per indicator, grouped by category: name, maximum, score and note (as posted after a
    refusal)."""
    scores = {s.indicator_id: s for s in row.scores.all()} if row else {}
    errors = errors or {}
    groups: list[dict] = []
    for ind in indicators:
        if not groups or groups[-1]["category"].pk != ind.category_id:
            groups.append({"category": ind.category, "items": []})
        own = scores.get(ind.pk)
        score = "" if own is None or own.score is None else str(own.score)
        note = own.note if own else ""
        if posted is not None:
            score = posted.get(f"s-{ind.pk}", score)
            note = posted.get(f"n-{ind.pk}", note)
        groups[-1]["items"].append(
            {
                "ind": ind,
                "score": score,
                "note": note,
                "errors": errors.get(f"s-{ind.pk}", []) + errors.get(f"n-{ind.pk}", []),
            }
        )
    return groups


def _report_text(row, posted) -> str:
    if posted is not None:
        return posted.get("report", "")
    return row.report if row else ""


@login_required
@require_http_methods(["GET", "POST"])
def selfeval(request, number: int, code: str):
    """A community's self-evaluation: its own users work on it, those who see every community
    read it; anyone else does not learn that it exists (404)."""
    year = year_of_user(request, number)
    assessed = AssessedUnit.objects.filter(year=year, code=code).select_related("unit").first()
    if assessed is None:
        raise Http404
    rounds = list(
        SelfEvaluation.objects.filter(year=year, unit_id=assessed.unit_id).order_by("round")
    )
    member = access.has_role(request.user, *policies.COMMUNITY_ROLES, unit=assessed.unit_id)
    if not (member or policies.may_read_all_selfevals(request.user)):
        raise Http404
    latest = rounds[-1] if rounds else None
    row = latest
    wanted = request.GET.get("round", "")
    if wanted:
        row = next((r for r in rounds if str(r.round) == wanted), None)
        if row is None:
            raise Http404
    indicators = list(
        Indicator.objects.filter(year=year)
        .select_related("category")
        .order_by("category__sort_order", "category__code", "sort_order", "code")
    )
    errors, posted, status = {}, None, 200
    if request.method == "POST":
        if not member or latest is None:
            raise PermissionDenied
        if row is not latest:
            raise Conflict(_("An earlier round is kept as it was submitted."), url=request.path)
        try:
            message = _act(request, latest, indicators)
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
            row = SelfEvaluation.objects.get(pk=latest.pk)
            if row.version == latest.version:  # nothing was saved: show what was typed
                posted = request.POST
            latest = row
            status = 400
        else:
            messages.success(request, message)
            return redirect("appraisal:selfeval", year.year, assessed.code)
    editable = bool(
        row is latest
        and row is not None
        and member
        and row.state == SelfEvaluationState.DRAFT
        and year.status == "year_end"
    )
    staff = access.has_role(request.user, Role.COMMUNITY_STAFF, unit=assessed.unit_id)
    secretary = access.has_role(request.user, Role.COMMUNITY_SECRETARY, unit=assessed.unit_id)
    open_state = bool(row is latest and row is not None and year.status == "year_end")
    context = {
        "year": year,
        "assessed": assessed,
        "row": row,
        "rounds": rounds,
        "is_latest": row is latest,
        "groups": _items(row, indicators, posted, errors),
        "attachments": services.attachments_of(row) if row else [],
        "report": _report_text(row, posted),
        "comment": posted.get("comment", "") if posted is not None else "",
        "errors": errors,
        "general_errors": errors.get("__all__", []) + errors.get("report", []),
        "editable": editable,
        "can_to_secretary": editable and staff,
        "can_submit": bool(
            open_state
            and secretary
            and row.state in (SelfEvaluationState.DRAFT, SelfEvaluationState.WITH_SECRETARY)
        ),
        "can_send_back": bool(
            open_state and secretary and row.state == SelfEvaluationState.WITH_SECRETARY
        ),
        "is_member": member,
    }
    return render(request, "appraisal/selfeval/form.html", context, status=status)
