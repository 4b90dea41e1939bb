"""Notice views: the ledger (台账), the case page and one POST view per action.

Thin: parse, fetch through core.access (404), call one service (403/409 raised there), render.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_fsm import can_proceed

from core import access, submissions, workitems
from core.downloads import xlsx_response
from core.errors import BadInput
from core.models import Role, Unit, UnitKind

from . import confirmations, selectors, services
from .forms import (
    EscalateForm,
    ExtensionDecisionForm,
    ExtensionRequestForm,
    InterviewForm,
    LedgerFilterForm,
    MeasureFormSet,
    NoticeForm,
    ReasonForm,
    ReplyForm,
    ReturnForm,
    VerifyForm,
    parse_expected,
)
from .models import Notice, NoticeKind, NoticeState
from .policies import ISSUER_ROLES, SEE_ALL

LEDGER_PAGE_SIZE = 50
LEDGER_ROLES = (*SEE_ALL, Role.DEPT_ASSESSOR)


def _errors_to_messages(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


# --- 台账 --------------------------------------------------------------------------------------


def _ledger(request):
    if not access.has_role(request.user, *LEDGER_ROLES):
        raise PermissionDenied
    form = LedgerFilterForm(request.GET or None, sub_district_id=request.user.sub_district_id)
    filters = form.cleaned_data if form.is_valid() else {}
    thresholds = workitems.light_thresholds()
    return form, selectors.ledger(request.user, filters, thresholds)


@login_required
def ledger(request):
    form, notices = _ledger(request)
    # Plain rows, not model instances: the page shows 50 of them (make bench).
    rows = selectors.with_return_count(notices).values(*LEDGER_COLUMNS, "returns")
    paginator = Paginator(rows, LEDGER_PAGE_SIZE)
    # Counted on the model queryset, where the unused light annotation is dropped; counting the
    # values() rows would compute the light of every notice in a subquery.
    paginator.count = notices.count()
    page = paginator.get_page(request.GET.get("page"))
    kinds, states = dict(NoticeKind.choices), dict(NoticeState.choices)
    for row in page:
        row["kind_label"] = kinds.get(row["kind"], row["kind"])
        row["state_label"] = states.get(row["state"], row["state"])
        row["target_label"] = row["target__short_name"] or row["target__name"]
        row["issuer_label"] = row["issuing_unit__short_name"] or row["issuing_unit__name"]
        row["due_label"] = (
            timezone.localtime(row["current_due_at"]).strftime("%Y-%m-%d")
            if row["current_due_at"]
            else ""
        )
        row["closed_label"] = (
            timezone.localtime(row["closed_at"]).strftime("%Y-%m-%d") if row["closed_at"] else ""
        )
    context = {
        "form": form,
        # Each case links back to this page with its filters (the case page's breadcrumb).
        "back_query": urlencode({"back": request.get_full_path()}),
        "page_obj": page,
        "can_create": bool(access.units_for(request.user, *ISSUER_ROLES)),
        "draft_label": _("draft"),
    }
    return render(request, "rectification/ledger.html", context)


# What the ledger page shows (the export reads more).
LEDGER_COLUMNS = (
    "id",
    "light",
    "number",
    "kind",
    "state",
    "subject",
    "current_due_at",
    "issued_at",
    "closed_at",
    "target__name",
    "target__short_name",
    "issuing_unit__name",
    "issuing_unit__short_name",
)


@login_required
def ledger_export(request):
    _, notices = _ledger(request)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return xlsx_response(
        selectors.ledger_xlsx(notices),
        ascii_name=f"ledger-{stamp}.xlsx",
        name=f"整改台账-{stamp}.xlsx",
    )


# --- create and edit ---------------------------------------------------------------------------


def _issuer_units(user):
    return list(
        Unit.objects.filter(pk__in=access.units_for(user, *ISSUER_ROLES), is_active=True).order_by(
            "kind", "sort_order"
        )
    )


def _communities(user):
    return list(
        Unit.objects.filter(
            sub_district_id=user.sub_district_id, kind=UnitKind.COMMUNITY, is_active=True
        ).order_by("sort_order", "name")
    )


def _notice_form(request, data=None, initial=None):
    return NoticeForm(
        data,
        initial=initial,
        issuer_units=_issuer_units(request.user),
        communities=_communities(request.user),
        allow_bulk=access.has_role(request.user, Role.OFFICE_STAFF),
    )


def _input(form) -> services.NoticeInput:
    d = form.cleaned_data
    return services.NoticeInput(
        kind=d["kind"],
        issuing_unit_id=d["issuing_unit"],
        subject=d["subject"],
        problem=d["problem"],
        basis=d["basis"],
        reply_due=d["reply_due"],
        measures_due=d["measures_due"],
        interview_required=d["interview_required"],
    )


@login_required
def notice_new(request):
    if not _issuer_units(request.user):
        raise PermissionDenied
    # A spot check's "issue a notice" link prefills the form (Art. 10, 11).
    initial = {"kind": "contact"}
    for key in ("subject", "problem", "basis"):
        if request.GET.get(key):
            initial[key] = request.GET[key][:5000]
    if request.GET.get("target", "").isdigit():
        initial["targets"] = [int(request.GET["target"])]
    # A one-time token: a double click or a resent page creates nothing twice (409).
    token = submissions.new_token()
    if request.method == "POST":
        token = str(submissions.token_from(request.POST))
    form = _notice_form(request, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid() and "revise" not in request.POST:
        # ("revise": back from the confirmation page to the form as typed, nothing saved.)
        issue_now = "issue" in request.POST
        try:
            if issue_now and not _confirmed(request):
                confirmation = confirmations.issue_of_form(
                    acting_user=request.user,
                    data=_input(form),
                    target_ids=form.cleaned_data["targets"],
                )
                return _confirmation_page(
                    request, confirmation, cancel_url=reverse("ledger"), revise=True
                )
            notices = services.notice_new(
                acting_user=request.user,
                token=token,
                data=_input(form),
                target_ids=form.cleaned_data["targets"],
                issue_now=issue_now,
            )
        except ValidationError as exc:
            _errors_to_messages(request, exc)
        else:
            if issue_now:
                messages.success(request, _("Issued %(n)s notice(s).") % {"n": len(notices)})
            else:
                messages.success(request, _("Draft saved."))
            if len(notices) == 1:
                return redirect("notice_detail", pk=notices[0].pk)
            return redirect("ledger")
    return render(
        request,
        "rectification/notice_form.html",
        {"form": form, "notice": None, "submission_token": token},
    )


@login_required
def notice_edit(request, pk: int):
    notice = access.get_visible_or_404(request.user, Notice, pk=pk)
    access.require_action(request.user, notice, "edit")
    if notice.state != NoticeState.DRAFT:
        messages.error(request, _("Only a draft can be edited."))
        return redirect("notice_detail", pk=pk)
    initial = {
        "kind": notice.kind,
        "issuing_unit": notice.issuing_unit_id,
        "targets": [notice.target_id],
        "subject": notice.subject,
        "problem": notice.problem,
        "basis": notice.basis,
        "reply_due_workdays": notice.reply_due_workdays,
        "reply_due_date": notice.reply_due_date,
        "measures_due_workdays": notice.measures_due_workdays,
        "measures_due_date": notice.measures_due_date,
        "interview_required": notice.interview_required,
    }
    # The draft as this page shows it: saving never overwrites a version saved since (409).
    expected_draft = services.draft_fingerprint(notice)
    if request.method == "POST":
        expected_draft = parse_expected(request.POST, "expected_draft")["expected_draft"]
    form = _notice_form(request, request.POST or None, initial=initial)
    form.allow_bulk = False
    if request.method == "POST" and form.is_valid() and "revise" not in request.POST:
        try:
            if "issue" in request.POST and not _confirmed(request):
                confirmation = confirmations.issue_of_form(
                    acting_user=request.user,
                    data=_input(form),
                    target_ids=form.cleaned_data["targets"][:1],
                    notice_id=pk,
                    expected_draft=expected_draft,
                )
                return _confirmation_page(
                    request,
                    confirmation,
                    cancel_url=reverse("notice_detail", args=[pk]),
                    revise=True,
                )
            # Saving and 签发 from this page are one write: both happen or neither.
            services.notice_save_draft(
                notice_id=pk,
                acting_user=request.user,
                data=_input(form),
                target_id=form.cleaned_data["targets"][0],
                expected_draft=expected_draft,
                issue="issue" in request.POST,
            )
            messages.success(
                request, _("Issued.") if "issue" in request.POST else _("Draft saved.")
            )
            return redirect("notice_detail", pk=pk)
        except ValidationError as exc:
            _errors_to_messages(request, exc)
    return render(
        request,
        "rectification/notice_form.html",
        {"form": form, "notice": notice, "expected_draft": expected_draft},
    )


# --- the case page -----------------------------------------------------------------------------

# The lists a case is opened from; the case page's breadcrumb leads back to them, filters kept.
BACK_TO = {"ledger": gettext_lazy("Ledger"), "inbox": gettext_lazy("Task inbox")}


def _back_of(request, url: str | None) -> dict | None:
    if not url or not url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return None
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:  # only a path of this site, never an absolute address
        return None
    for name, label in BACK_TO.items():
        if parts.path == reverse(name):
            return {"url": parts.path + (f"?{parts.query}" if parts.query else ""), "label": label}
    return None


def _back(request) -> dict | None:
    """Where the user came from: `?back=` (the ledger and the inbox link with it), or after an
    action the page the form was on (its referrer carries the same `back`)."""
    back = _back_of(request, request.GET.get("back"))
    if back is None and request.method == "POST":
        referrer = urlsplit(request.META.get("HTTP_REFERER", ""))
        if referrer.netloc == request.get_host():
            values = parse_qs(referrer.query).get("back")
            back = _back_of(request, values[0] if values else None)
    return back


def _with_back(request, url: str) -> str:
    """`url` keeping where the case page was opened from (`?back=`)."""
    back = _back(request)
    return url + "?" + urlencode({"back": back["url"]}) if back else url


def _to_case(request, pk: int, status: int = 302) -> HttpResponse:
    """Back to the case page after an action, keeping where the page was opened from."""
    response = redirect(_with_back(request, reverse("notice_detail", args=[pk])))
    response.status_code = status
    return response


@login_required
def notice_detail(request, pk: int):
    return _case_page(request, pk)


def _returned_versions(case: dict, state: str):
    """The reply and the measures just returned, whose text and files the new version's form
    starts from (Art. 11: a return asks for rework, not for retyping)."""
    reply = case["replies"][-1] if case["replies"] else None
    measures = case["measure_sets"][-1] if case["measure_sets"] else None
    return (
        reply if state == NoticeState.ISSUED and reply and reply.returned_at else None,
        measures if state == NoticeState.REPLIED and measures and measures.returned_at else None,
    )


def _reply_form(case: dict, state: str, data=None, files=None) -> ReplyForm:
    returned, _measures = _returned_versions(case, state)
    if returned is None:
        return ReplyForm(data, files)
    initial = {"text": returned.text, "keep": [f.pk for f in returned.files]}
    return ReplyForm(data, files, initial=initial, previous_files=returned.files)


def _measure_formset(case: dict, state: str, data=None, files=None) -> MeasureFormSet:
    _reply, returned = _returned_versions(case, state)
    previous = list(returned.measures.all()) if returned else []
    initial = [
        {
            "description": m.description,
            "responsible_person": m.responsible_person,
            "planned_date": m.planned_date,
            "keep": [f.pk for f in m.files],
        }
        for m in previous
    ]
    initial += [{}] * (1 if previous else 3)
    return MeasureFormSet(data, files, prefix="m", initial=initial, previous_measures=previous)


def _case_page(request, pk: int, *, bound: dict | None = None, status: int = 200):
    """The case page; `bound` holds a form sent back with its errors and what was typed."""
    notice = access.get_visible_or_404(
        request.user,
        Notice.objects.select_related(
            "target", "issuing_unit", "created_by", "issued_by", "escalated_from"
        ),
        pk=pk,
    )
    user = request.user
    can = {
        a: access.can_act(user, notice, a)
        for a in (
            "issue",
            "reply",
            "measures",
            "return",
            "verify",
            "withdraw",
            "escalate",
            "interview",
            "edit",
        )
    }
    state = notice.state
    now = timezone.now()
    thresholds = workitems.light_thresholds(now)
    extensions = list(notice.extensions.select_related("requested_by", "decided_by").order_by("id"))
    case = selectors.case(notice, viewer=user)
    # What each form acts on (services._check_expected): the latest reply and measures versions.
    reply_version = case["replies"][-1].version if case["replies"] else 0
    measures_version = case["measure_sets"][-1].version if case["measure_sets"] else 0
    context = {
        "notice": notice,
        "light": workitems.light_of(notice.current_due_at, thresholds),
        "steps": [(s, NoticeState(s).label) for s in selectors.STEPS],
        "step_index": selectors.STEPS.index(state) if state in selectors.STEPS else None,
        "show": {
            "issue": can["issue"] and state == NoticeState.DRAFT,
            "edit": can["edit"] and state == NoticeState.DRAFT,
            "reply": can["reply"] and state == NoticeState.ISSUED,
            "measures": can["measures"] and state == NoticeState.REPLIED,
            "return": can["return"]
            and state in (NoticeState.REPLIED, NoticeState.MEASURES_SUBMITTED),
            "verify": can["verify"] and state == NoticeState.MEASURES_SUBMITTED,
            "withdraw": can["withdraw"] and state in (NoticeState.DRAFT, NoticeState.ISSUED),
            "escalate": can["escalate"] and can_proceed(notice.escalate),
            "interview": can["interview"]
            and state not in (NoticeState.DRAFT, NoticeState.WITHDRAWN),
        },
        "reply_form": _reply_form(case, state),
        "measure_formset": _measure_formset(case, state),
        "return_form": ReturnForm(),
        "verify_form": VerifyForm(),
        "withdraw_form": ReasonForm(prefix="withdraw"),
        "escalate_form": EscalateForm(),
        "proposal": notice.proposals.filter(state="open").first() if can["escalate"] else None,
        "dismiss_form": ReasonForm(prefix="dismiss"),
        "pending_extension": next((e for e in extensions if e.state == "pending"), None),
        # Each decided request with its outcome and dates, newest first (Art. 11).
        "decided_extensions": [e for e in reversed(extensions) if e.state != "pending"],
        "can_request_extension": access.can_act(user, notice, "extension")
        and state in (NoticeState.ISSUED, NoticeState.REPLIED),
        "can_decide_extension": access.can_act(user, notice, "decide_extension"),
        "extension_form": ExtensionRequestForm(prefix="ext"),
        "decision_form": ExtensionDecisionForm(prefix="dec"),
        "interview_form": InterviewForm(
            initial={
                "date": notice.interview_date,
                "place": notice.interview_place,
                "attendees": notice.interview_attendees,
                "summary": notice.interview_summary,
            }
        ),
        "reply_version": reply_version,
        "measures_version": measures_version,
        "return_version": measures_version
        if state == NoticeState.MEASURES_SUBMITTED
        else reply_version,
        "interview_fingerprint": services.interview_fingerprint(notice),
        # The timeline links each step to its audit row only for those who may read the trail
        # (the audit pages refuse anyone else).
        "can_read_audit": access.can_read_audit(user),
        "back": _back(request),
        **case,
        **(bound or {}),
    }
    escalated_to = context["escalated_to"]
    if escalated_to is not None:
        # R11.2: one escalation at a time; the waiting draft is issued or withdrawn first.
        context["show"]["escalate"] = False
    if escalated_to is not None and not access.can_see(user, escalated_to):
        context["escalated_to"] = None  # an unissued escalation draft is the issuer's
    # R11.2: escalation is meant for a missed deadline or an inadequate reply; a notice whose
    # deadline has not passed is escalated only with a warning.
    context["escalate_early"] = bool(
        context["show"]["escalate"]
        and notice.current_due_at is not None
        and notice.current_due_at > now
    )
    return render(request, "rectification/notice_detail.html", context, status=status)


# --- actions (POST only) -----------------------------------------------------------------------


def _action(request, pk: int, run, *, action: str, expected: tuple[str, ...]) -> HttpResponse:
    """404 for a notice out of sight, 403 for an action not the user's, 400 for a form without
    what it acts on; then `run(expected)` calls the service (409 for a stale form)."""
    values = _expected(request, pk, action, expected)
    try:
        message = run(values)
    except ValidationError as exc:
        _errors_to_messages(request, exc)
        return _to_case(request, pk, status=303)
    if isinstance(message, HttpResponse):  # the confirmation page: nothing was done yet
        return message
    messages.success(request, message)
    return _to_case(request, pk)


# --- confirmation of official acts (Art. 11) ---------------------------------------------------
# 签发, 退回, 验收销号 and 撤回 cannot be undone. Their forms post first without `confirmed`: the
# answer is a page (200, nothing changed) stating what will happen and to whom, whose form posts
# the same fields again with confirmed=1. Plain HTML: it works without JavaScript and on a phone.

NOT_REPOSTED = ("csrfmiddlewaretoken", "confirmed", "revise")


def _confirmed(request) -> bool:
    return request.POST.get("confirmed") == "1"


def _confirmation_page(
    request,
    confirmation: confirmations.Confirmation,
    *,
    cancel_url: str,
    action_url: str | None = None,
    revise: bool = False,
) -> HttpResponse:
    """The confirmation page; `revise` offers to go back to the form as typed (the notice
    forms, whose typing a link would lose)."""
    fields = [
        (name, value)
        for name, values in request.POST.lists()
        if name not in NOT_REPOSTED
        for value in values
    ]
    context = {
        "confirmation": confirmation,
        "fields": fields,
        "action_url": action_url or request.get_full_path(),
        "cancel_url": cancel_url,
        "revise": revise,
    }
    return render(request, "rectification/confirm.html", context)


def _case_confirmation(request, pk: int, confirmation) -> HttpResponse:
    """The confirmation of an act of the case page: 取消 leads back to it, and the confirmed
    act keeps where the case was opened from (its `back`)."""
    return _confirmation_page(
        request,
        confirmation,
        cancel_url=_with_back(request, reverse("notice_detail", args=[pk])),
        action_url=_with_back(request, request.path),
    )


def _expected(request, pk: int, action: str, names: tuple[str, ...]) -> dict:
    notice = access.get_visible_or_404(request.user, Notice, pk=pk)
    if not access.can_act(request.user, notice, action):
        raise PermissionDenied(_("Your role does not allow this action on this notice."))
    return parse_expected(request.POST, *names)


STATE = ("expected_state",)
VERSION = ("expected_state", "expected_version")


def _form_errors(form) -> ValidationError:
    return ValidationError(
        [
            f"{form.fields[k].label if k in form.fields else ''} {e}".strip()
            for k, errs in form.errors.items()
            for e in errs
        ]
    )


@login_required
@require_POST
def notice_issue(request, pk: int):
    def run(expected):
        if not _confirmed(request):
            confirmation = confirmations.issue_of_draft(
                notice_id=pk, acting_user=request.user, **expected
            )
            return _case_confirmation(request, pk, confirmation)
        services.notice_issue(notice_id=pk, acting_user=request.user, **expected)
        return _("Issued.")

    return _action(request, pk, run, action="issue", expected=STATE)


def _submission(request, pk: int, action: str):
    """What the reply and measures forms act on: the notice's hidden fields, and the case as the
    form was built from (the returned version whose files it offers to keep). A page no longer
    current is a 409 before its input is looked at."""
    expected = _expected(request, pk, action, VERSION)
    notice = access.get_visible_or_404(request.user, Notice, pk=pk)
    services.check_form_current(notice, action=action, **expected)
    return expected, notice, selectors.case(notice)


def _form_again(request, pk: int, name: str, form, error: ValidationError | None = None):
    """The case page again with the form as typed and its errors on it (400): nothing is lost
    but the chosen files, which no browser lets a page fill in again."""
    if error is not None and isinstance(form, MeasureFormSet):
        form.non_form_errors().extend(error.messages)
    elif error is not None:
        form.add_error(None, error)
    return _case_page(request, pk, bound={name: form, "form_again": name}, status=400)


@login_required
@require_POST
def notice_reply(request, pk: int):
    expected, notice, case = _submission(request, pk, "reply")
    form = _reply_form(case, notice.state, request.POST, request.FILES)
    if not form.is_valid():
        return _form_again(request, pk, "reply_form", form)
    try:
        services.notice_reply(
            notice_id=pk,
            acting_user=request.user,
            text=form.cleaned_data["text"],
            files=form.cleaned_data["files"],
            keep_file_ids=form.cleaned_data.get("keep") or [],
            **expected,
        )
    except ValidationError as exc:
        return _form_again(request, pk, "reply_form", form, exc)
    messages.success(request, _("Reply submitted."))
    return _to_case(request, pk)


@login_required
@require_POST
def notice_measures(request, pk: int):
    expected, notice, case = _submission(request, pk, "measures")
    formset = _measure_formset(case, notice.state, request.POST, request.FILES)
    if not formset.is_valid():
        return _form_again(request, pk, "measure_formset", formset)
    measures = [
        services.MeasureInput(
            description=f.cleaned_data["description"],
            responsible_person=f.cleaned_data["responsible_person"],
            planned_date=f.cleaned_data["planned_date"],
            files=f.cleaned_data["files"],
            keep_file_ids=f.cleaned_data.get("keep") or [],
        )
        for f in formset.filled_forms()
    ]
    try:
        services.notice_submit_measures(
            notice_id=pk, acting_user=request.user, measures=measures, **expected
        )
    except ValidationError as exc:
        return _form_again(request, pk, "measure_formset", formset, exc)
    messages.success(request, _("Measures submitted."))
    return _to_case(request, pk)


@login_required
@require_POST
def notice_return(request, pk: int):
    def run(expected):
        form = ReturnForm(request.POST)
        if not form.is_valid():
            raise _form_errors(form)
        if not _confirmed(request):
            confirmation = confirmations.return_of(
                notice_id=pk,
                acting_user=request.user,
                reason=form.cleaned_data["reason"],
                new_due=form.cleaned_data["new_due"],
                **expected,
            )
            return _case_confirmation(request, pk, confirmation)
        services.notice_return(
            notice_id=pk,
            acting_user=request.user,
            reason=form.cleaned_data["reason"],
            new_due=form.cleaned_data["new_due"],
            **expected,
        )
        return _("Returned for rework.")

    return _action(request, pk, run, action="return", expected=VERSION)


@login_required
@require_POST
def notice_verify(request, pk: int):
    def run(expected):
        form = VerifyForm(request.POST)
        if not form.is_valid():
            raise _form_errors(form)
        if not _confirmed(request):
            confirmation = confirmations.verify_of(
                notice_id=pk,
                acting_user=request.user,
                comment=form.cleaned_data["comment"],
                **expected,
            )
            return _case_confirmation(request, pk, confirmation)
        services.notice_verify(
            notice_id=pk, acting_user=request.user, comment=form.cleaned_data["comment"], **expected
        )
        return _("Verified and closed.")

    return _action(request, pk, run, action="verify", expected=VERSION)


@login_required
@require_POST
def notice_withdraw(request, pk: int):
    def run(expected):
        form = ReasonForm(request.POST, prefix="withdraw")
        if not form.is_valid():
            raise _form_errors(form)
        if not _confirmed(request):
            confirmation = confirmations.withdraw_of(
                notice_id=pk,
                acting_user=request.user,
                reason=form.cleaned_data["reason"],
                **expected,
            )
            return _case_confirmation(request, pk, confirmation)
        services.notice_withdraw(
            notice_id=pk, acting_user=request.user, reason=form.cleaned_data["reason"], **expected
        )
        return _("Withdrawn.")

    return _action(request, pk, run, action="withdraw", expected=STATE)


@login_required
@require_POST
def notice_escalate(request, pk: int):
    expected = _expected(request, pk, "escalate", STATE)
    form = EscalateForm(request.POST)
    if not form.is_valid():
        # The reason is asked for again on the case page, with what was typed (Art. 11).
        return _case_page(
            request, pk, bound={"escalate_form": form, "escalate_open": True}, status=400
        )
    try:
        new = services.notice_escalate(
            notice_id=pk, acting_user=request.user, reason=form.cleaned_data["reason"], **expected
        )
    except ValidationError as exc:
        _errors_to_messages(request, exc)
        return redirect("notice_detail", pk=pk)
    messages.success(
        request,
        _(
            "The escalated notice is drafted. %(number)s stays open, in the community's inbox, "
            "until you issue this draft; it waits in your inbox."
        )
        % {"number": new.escalated_from.number},
    )
    return redirect(reverse("notice_edit", args=[new.pk]))


@login_required
@require_POST
def notice_interview(request, pk: int):
    def run(expected):
        form = InterviewForm(request.POST)
        if not form.is_valid():
            raise _form_errors(form)
        services.notice_record_interview(
            notice_id=pk, acting_user=request.user, **form.cleaned_data, **expected
        )
        return _("Interview recorded.")

    return _action(request, pk, run, action="interview", expected=("expected_interview",))


@login_required
@require_POST
def notice_dismiss_proposal(request, pk: int):
    def run(expected):
        form = ReasonForm(request.POST, prefix="dismiss")
        if not form.is_valid():
            raise _form_errors(form)
        services.proposal_dismiss(
            notice_id=pk, acting_user=request.user, reason=form.cleaned_data["reason"], **expected
        )
        return _("Escalation proposal dismissed.")

    return _action(request, pk, run, action="escalate", expected=("expected_proposal",))


@login_required
@require_POST
def notice_extension_request(request, pk: int):
    def run(expected):
        form = ExtensionRequestForm(request.POST, prefix="ext")
        if not form.is_valid():
            raise _form_errors(form)
        services.extension_request(
            notice_id=pk,
            acting_user=request.user,
            new_date=form.cleaned_data["new_date"],
            reason=form.cleaned_data["reason"],
            **expected,
        )
        return _("Extension requested.")

    return _action(request, pk, run, action="extension", expected=STATE)


@login_required
@require_POST
def notice_extension_decide(request, pk: int):
    def run(expected):
        form = ExtensionDecisionForm(request.POST, prefix="dec")
        if not form.is_valid():
            raise _form_errors(form)
        if ("grant" in request.POST) == ("refuse" in request.POST):
            # The page's two buttons send one of the two names: neither is not a refusal.
            raise BadInput(_("Choose to grant or to refuse the extension."))
        grant = "grant" in request.POST
        services.extension_decide(
            notice_id=pk,
            acting_user=request.user,
            grant=grant,
            reason=form.cleaned_data["reason"],
            new_date=form.cleaned_data["new_date"],
            **expected,
        )
        return _("Extension granted.") if grant else _("Extension refused.")

    expected = ("expected_extension",)
    return _action(request, pk, run, action="decide_extension", expected=expected)
