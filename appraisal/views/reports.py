"""Periodic reports (Art. 7, 8, 12): the list with each report's state, one report's page."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from core import access

from ..forms.reports import ReportAmendForm, ReportForm
from ..models import Report, YearStatus
from ..results.compute import results_as_of
from ..selectors.reports import REPORT_STATES, report_listing, report_state
from ..services.common import writable
from ..services.reports import report_amend, report_submit
from .common import PAGE_SIZE, back_to, evidence_of, show_errors, year_of_user


@login_required
def report_list(request, number: int):
    """Every report the user may see, with its state; exclusions are visible at once (R12.1)."""
    year = year_of_user(request, number)
    # Art. 12: a report's state is judged at the moment the results are computed for (fixed when
    # the year is decided), so the list and the results never disagree.
    now = results_as_of(year)
    unit = request.GET.get("unit", "")
    indicator = request.GET.get("indicator", "")
    state = request.GET.get("state", "")
    listing = report_listing(
        request.user, year, unit=unit, indicator=indicator, state=state, now=now
    )
    page = Paginator(listing.reports, PAGE_SIZE)
    page = page.get_page(request.GET.get("page"))
    rows = [(r, report_state(r, now, closed=year.inputs_closed)) for r in page.object_list]
    query = urlencode(
        {k: v for k, v in (("unit", unit), ("indicator", indicator), ("state", state)) if v}
    )
    return render(
        request,
        "appraisal/report_list.html",
        {
            "year": year,
            "page": page,
            "rows": rows,
            "counts": listing.counts,
            "states": REPORT_STATES,
            "unit_choices": listing.unit_choices,
            "indicator_choices": listing.indicator_choices,
            "selected": {"unit": unit, "indicator": indicator, "state": state},
            "query": query,
        },
    )


@login_required
def report_detail(request, pk: int):
    report = access.get_visible_or_404(
        request.user,
        Report.objects.select_related("year", "indicator__category", "unit", "submitted_by"),
        pk=pk,
    )
    now = results_as_of(report.year)  # the results' moment, as on the list
    can_submit = (
        report.submitted_at is None
        and access.can_act(request.user, report, "submit")
        and report.year.status in (YearStatus.IN_PROGRESS, YearStatus.YEAR_END)
        and writable(report.year)
    )
    # Art. 12, scoring.md §1: before its due time a filed report can be amended (a new version;
    # the last one on or before the due time counts).
    versions = list(report.versions.select_related("submitted_by"))
    can_amend = (
        report.submitted_at is not None
        and timezone.now() <= report.due_at
        and access.can_act(request.user, report, "submit")
        and report.year.status in (YearStatus.IN_PROGRESS, YearStatus.YEAR_END)
        and writable(report.year)
    )
    amending = request.method == "POST" and request.POST.get("action") == "amend"
    amend_form = None
    if can_amend:
        amend_form = ReportAmendForm(
            request.POST if amending else None,
            request.FILES if amending else None,
            initial={"text": report.text, "version": len(versions)},
        )
    if amending:
        if amend_form is None:
            access.require_action(request.user, report, "submit")
            messages.error(request, _("This report can no longer be amended."))
            return back_to("appraisal:report", pk, status=303)
        if amend_form.is_valid():
            try:
                report_amend(
                    report_id=pk,
                    acting_user=request.user,
                    text=amend_form.cleaned_data["text"],
                    version=amend_form.cleaned_data["version"],
                    files=amend_form.cleaned_data["files"],
                )
            except ValidationError as exc:
                show_errors(request, exc)
            else:
                messages.success(request, _("Report amended; the earlier versions are kept."))
                return redirect("appraisal:report", pk)
    form = ReportForm(request.POST or None, request.FILES or None) if can_submit else None
    if request.method == "POST" and not amending:
        if form is None:
            access.require_action(request.user, report, "submit")
            messages.error(request, _("This report can no longer be filed."))
            return back_to("appraisal:report", pk, status=303)
        if form.is_valid():
            try:
                report = report_submit(
                    report_id=pk,
                    acting_user=request.user,
                    text=form.cleaned_data["text"],
                    files=form.cleaned_data["files"],
                )
            except ValidationError as exc:
                show_errors(request, exc)
            else:
                if report.late:
                    messages.warning(
                        request,
                        _(
                            "Filed after its due time: the report is kept but does not count "
                            "for scoring (Art. 12)."
                        ),
                    )
                else:
                    messages.success(request, _("Report filed on time."))
                return redirect("appraisal:report", pk)
    return render(
        request,
        "appraisal/report_detail.html",
        {
            "report": report,
            "year": report.year,
            "state": report_state(report, now, closed=report.year.inputs_closed),
            "form": form,
            "amend_form": amend_form,
            "versions": versions,
            "files": evidence_of(report),
        },
    )
