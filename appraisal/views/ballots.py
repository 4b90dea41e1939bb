"""The satisfaction-evaluation stage (满意度评价, Art. 15; scoring.md §4): the votes step of the
year-end process, the Office's online ballot meetings (民主测评) and the public ballot page.

The Office acts; the Leading Group, auditors and administrators read; departments and
communities have no access (403). The ballot page `/ballot/<code>/` needs no log-in: the
project enforces log-in per view (no log-in middleware), so it simply carries no
login_required; it is always in Chinese, never cached, and says nothing beyond the meeting's
name and whether the vote counted.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import access
from core.downloads import attachment
from core.errors import BadInput
from core.middleware import client_ip

from .. import policies, posted
from ..files.ballot_sheet import ballot_sheet_pdf
from ..models import AssessedUnit, BallotMeeting, VoteKind, VoteRound
from ..services import ballots as svc
from ..services.common import writable
from .common import refuse_post, year_of_user

PDF = "application/pdf"


def _year(request, number):
    """The stage's pages: those who see everything (the Office acts, the others read)."""
    year = year_of_user(request, number)
    if not policies.sees_all(request.user):
        raise PermissionDenied
    return year


def _editable(request, year) -> bool:
    return access.can_act(request.user, year, "inputs") and writable(year)


def _require_fields(request, fields: dict):
    absent = posted.missing(request.POST, fields)
    if absent:
        raise BadInput(
            _("The form arrived incomplete: %(fields)s missing. Nothing was saved.")
            % {"fields": "; ".join(str(a) for a in absent)}
        )


# --- the votes step -------------------------------------------------------------------------


@login_required
def vote_stage(request, number: int):
    """The stage page: the latest round, or the tallies when the step has not opened yet."""
    year = _year(request, number)
    latest = VoteRound.objects.filter(year=year).order_by("-round").first()
    if latest is not None:
        return redirect(latest.get_absolute_url())
    return _render_round(request, year, None)


@login_required
@require_http_methods(["GET", "POST"])
def vote_round(request, number: int, round: int):
    year = _year(request, number)
    vote_round = VoteRound.objects.filter(year=year, round=round).select_related("year").first()
    if vote_round is None:
        raise Http404
    if request.method == "POST":
        if not access.can_act(request.user, year, "inputs"):
            raise PermissionDenied
        if not writable(year):
            refuse_post(year, has_right=True)
        _require_fields(request, {"digest": gettext_lazy("Tallies shown")})
        accept = request.POST.getlist("accept_empty")
        try:
            svc.votes_confirm(
                round_id=vote_round.pk,
                acting_user=request.user,
                expected_digest=request.POST["digest"],
                accept_empty=accept,
            )
        except svc.EmptyVotesNeedConfirmation as exc:
            rows = svc.tally_rows(year)
            return render(
                request,
                "appraisal/ballots/confirm_empty.html",
                {
                    "year": year,
                    "vote_round": vote_round,
                    "empty": _empty_labels(rows, exc.empty),
                    "digest": request.POST["digest"],
                },
            )
        messages.success(request, _("The votes are confirmed."))
        return redirect(vote_round.get_absolute_url())
    return _render_round(request, year, vote_round)


def _empty_labels(rows, empty: list[str]) -> list[tuple[str, str]]:
    """(value, label) of each empty vote: '<code>:<kind>' and '社区 · 民主测评'."""
    names = {r["code"]: r["name"] for r in rows}
    kinds = dict(VoteKind.choices)
    out = []
    for value in empty:
        code, kind = value.split(":", 1)
        out.append((value, f"{names.get(code, code)} · {kinds.get(kind, kind)}"))
    return out


def _render_round(request, year, vote_round):
    rows = svc.tally_rows(year)
    previous = None
    if vote_round is not None:
        previous = (
            VoteRound.objects.filter(year=year, round__lt=vote_round.round, snapshot__isnull=False)
            .order_by("-round")
            .first()
        )
    meetings = list(
        BallotMeeting.objects.filter(year=year).select_related("unit").order_by("-created_at")
    )
    open_by_unit = {m.unit_id: m for m in meetings if m.is_open}
    for r in rows:
        r["meeting"] = open_by_unit.get(r["unit_id"])
    can_confirm = (
        vote_round is not None
        and not vote_round.confirmed
        and _editable(request, year)
        and not VoteRound.objects.filter(year=year, round__gt=vote_round.round).exists()
    )
    return render(
        request,
        "appraisal/ballots/stage.html",
        {
            "year": year,
            "vote_round": vote_round,
            "rows": rows,
            "previous": previous,
            "previous_rows": _snapshot_rows(previous.snapshot) if previous else [],
            "confirmed_rows": (
                _snapshot_rows(vote_round.snapshot) if vote_round and vote_round.snapshot else None
            ),
            "empty": _empty_labels(rows, svc.empty_votes(rows)),
            "digest": svc.tally_digest(rows),
            "meetings": meetings,
            "editable": _editable(request, year),
            "can_confirm": can_confirm,
        },
    )


def _snapshot_rows(snapshot: dict) -> list[dict]:
    return [{"code": code, **row} for code, row in sorted(snapshot.items())]


# --- ballot meetings (the Office) -----------------------------------------------------------

MEETING_FIELDS = {
    "unit": gettext_lazy("Community"),
    "title": gettext_lazy("Meeting"),
    "held_on": gettext_lazy("Meeting date"),
    "count": gettext_lazy("Number of codes"),
}


def _sheet_response(request, meeting: BallotMeeting, tokens: list[str]) -> HttpResponse:
    """The sheet of QR codes, built from tokens that exist only in this response."""
    base = settings.SITE_URL.rstrip("/") if settings.SITE_URL else request.build_absolute_uri("/")
    base = base.rstrip("/")
    codes = [(f"{base}{reverse('ballot:ballot', args=[t])}", svc.printable(t)) for t in tokens]
    pdf = ballot_sheet_pdf(
        community=meeting.unit.name,
        title=meeting.title,
        held_on=meeting.held_on,
        codes=codes,
        heading=_("Democratic evaluation ballot"),
        hint=_("Scan to vote · one vote per code · anonymous"),
    )
    response = HttpResponse(pdf, content_type=PDF)
    response["Content-Disposition"] = attachment(
        f"ballots-{meeting.unit.code}-{meeting.pk}-{meeting.generation}.pdf",
        f"民主测评选票-{meeting.unit.name}-{meeting.held_on.isoformat()}-{meeting.generation}.pdf",
    )
    return response


@login_required
@require_http_methods(["GET", "POST"])
def ballot_meeting_new(request, number: int):
    """The Office opens an online democratic evaluation for a community (Art. 15)."""
    year = _year(request, number)
    if not access.can_act(request.user, year, "inputs"):
        raise PermissionDenied
    units = list(AssessedUnit.objects.filter(year=year).order_by("code"))
    if request.method == "POST":
        if not writable(year):
            refuse_post(year, has_right=True)
        _require_fields(request, MEETING_FIELDS)
        try:
            held_on = dt.date.fromisoformat(request.POST["held_on"].strip())
        except ValueError:
            held_on = None
        try:
            unit_id = int(request.POST["unit"])
        except ValueError:
            unit_id = None
        try:
            if held_on is None:
                raise ValidationError(_("Meeting date: enter a date."))
            meeting, tokens = svc.ballot_meeting_create(
                year_id=year.pk,
                acting_user=request.user,
                unit_id=unit_id,
                title=request.POST["title"],
                held_on=held_on,
                count=request.POST["count"],
            )
        except ValidationError as exc:
            return render(
                request,
                "appraisal/ballots/meeting_new.html",
                {"year": year, "units": units, "errors": exc.messages, "post": request.POST},
                status=400,
            )
        return _sheet_response(request, meeting, tokens)
    return render(
        request,
        "appraisal/ballots/meeting_new.html",
        {"year": year, "units": units, "errors": [], "post": {}, "max": svc.MAX_CODES},
    )


def _meeting(year, pk) -> BallotMeeting:
    meeting = BallotMeeting.objects.filter(year=year, pk=pk).select_related("unit").first()
    if meeting is None:
        raise Http404
    return meeting


@login_required
@require_GET
def ballot_meeting(request, number: int, pk: int):
    """A meeting's live tally (the page polls ballot_meeting_tally) and the Office's actions."""
    year = _year(request, number)
    meeting = _meeting(year, pk)
    return render(
        request,
        "appraisal/ballots/meeting.html",
        {
            "year": year,
            "meeting": meeting,
            "used": meeting.codes.filter(used=True).count(),
            "editable": _editable(request, year) and meeting.is_open,
        },
    )


@login_required
@require_GET
def ballot_meeting_tally(request, number: int, pk: int):
    year = _year(request, number)
    meeting = _meeting(year, pk)
    return JsonResponse(
        {
            "satisfied": meeting.satisfied,
            "basically": meeting.basically,
            "dissatisfied": meeting.dissatisfied,
            "ballots": meeting.ballots,
            "codes": meeting.codes_issued,
            "closed": not meeting.is_open,
        }
    )


@login_required
@require_POST
def ballot_meeting_close(request, number: int, pk: int):
    year = _year(request, number)
    meeting = _meeting(year, pk)
    if not access.can_act(request.user, year, "inputs"):
        raise PermissionDenied
    _require_fields(request, {"ballots": gettext_lazy("Ballots shown")})
    replace = request.POST.get("replace") == "1"
    try:
        svc.ballot_meeting_close(
            meeting_id=meeting.pk,
            acting_user=request.user,
            expected_ballots=_int(request.POST["ballots"]),
            replace=replace,
        )
    except svc.ReplaceNeeded as exc:
        meeting.refresh_from_db()
        return render(
            request,
            "appraisal/ballots/close_replace.html",
            {"year": year, "meeting": meeting, "existing": exc},
        )
    messages.success(
        request,
        _("The online ballot is closed; its tally is the democratic evaluation of %(unit)s.")
        % {"unit": meeting.unit.name},
    )
    return redirect(meeting.get_absolute_url())


@login_required
@require_POST
def ballot_meeting_regenerate(request, number: int, pk: int):
    year = _year(request, number)
    meeting = _meeting(year, pk)
    if not access.can_act(request.user, year, "inputs"):
        raise PermissionDenied
    _require_fields(request, {"generation": gettext_lazy("Code generation")})
    tokens = svc.ballot_codes_regenerate(
        meeting_id=meeting.pk,
        acting_user=request.user,
        expected_generation=_int(request.POST["generation"]),
    )
    meeting.refresh_from_db()
    return _sheet_response(request, meeting, tokens)


def _int(value) -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        raise BadInput(_("A number was expected.")) from None


# --- the public ballot page (no log-in) -----------------------------------------------------


def rate_limit() -> int:
    return int(getattr(settings, "BALLOT_RATE_LIMIT", 30))


def _limited(request) -> bool:
    """A client address that tried `rate_limit()` wrong codes within the minute waits."""
    return cache.get(_rate_key(request), 0) >= rate_limit()


def _rate_key(request) -> str:
    return f"ballot-rate:{client_ip(request) or 'unknown'}"


def _count_wrong(request) -> None:
    # A fixed one-minute window per client address; a wrong code counts (issue 12 item 4).
    key = _rate_key(request)
    cache.add(key, 0, timeout=60)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=60)


def _public(request, template, context, status=200):
    response = render(request, f"appraisal/ballots/public/{template}", context, status=status)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def ballot(request, token: str):
    """A member's ballot: 满意 / 基本满意 / 不满意, once per code."""
    with translation.override("zh-hans"):
        if _limited(request):
            return _public(
                request,
                "message.html",
                {"message": _("Too many attempts from this network. Wait a minute and retry.")},
                status=429,
            )
        try:
            meeting, used = svc.code_state(token)
        except svc.BallotNotFound:
            _count_wrong(request)
            return _public(
                request,
                "message.html",
                {"message": _("This ballot code is not valid. Check the code and scan again.")},
                status=404,
            )
        ctx = {"meeting": meeting, "community": meeting.unit.name}
        if not meeting.is_open:
            ctx["message"] = _("This evaluation has ended.")
            status = 409 if request.method == "POST" else 200
            return _public(request, "message.html", ctx, status=status)
        if request.method == "GET":
            if used:
                ctx["message"] = _("This ballot has been used.")
                return _public(request, "message.html", ctx, status=409)
            return _public(request, "ballot.html", {**ctx, "choices": _choices()})
        choice = request.POST.get("choice", "")
        if choice not in svc.CHOICES:
            ctx["error"] = _("Choose one of the three answers.")
            return _public(request, "ballot.html", {**ctx, "choices": _choices()}, status=400)
        try:
            svc.ballot_cast(token=token, choice=choice)
        except svc.BallotNotFound:
            _count_wrong(request)
            return _public(
                request,
                "message.html",
                {"message": _("This ballot code is not valid. Check the code and scan again.")},
                status=404,
            )
        except svc.BallotClosed:
            ctx["message"] = _("This evaluation has ended.")
            return _public(request, "message.html", ctx, status=409)
        except svc.BallotUsed:
            ctx["message"] = _("This ballot has been used.")
            return _public(request, "message.html", ctx, status=409)
        ctx["message"] = _("Voted, thank you for taking part.")
        return _public(request, "message.html", {**ctx, "done": True})


def _choices():
    return [
        ("satisfied", _("Satisfied")),
        ("basically", _("Basically satisfied")),
        ("dissatisfied", _("Dissatisfied")),
    ]
