"""Reads of the periodic reports: each report's state as the list shows it (Art. 12)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet
from django.utils.translation import gettext_lazy

from core import access

from .. import policies
from ..models import AssessedUnit, AssessmentYear, Indicator, Report

REPORT_STATES = [
    ("pending", gettext_lazy("Not yet due")),
    ("on_time", gettext_lazy("On time")),
    ("late", gettext_lazy("Late — excluded")),
    ("missing", gettext_lazy("Missing — excluded")),
]


def report_state(report: Report, now, *, closed: bool = False) -> str:
    """Art. 12: on time, late or missing at `now` (the results' moment); before its due time a
    report not filed is pending — unless the year is decided (`closed`): then it is missing."""
    if report.submitted_at is None:
        return "missing" if closed or report.due_at < now else "pending"
    return "late" if report.submitted_at > report.due_at else "on_time"


def state_q(state: str, now, *, closed: bool = False) -> Q:
    """The reports of one state of report_state, as a filter."""
    if closed and state in ("pending", "missing"):
        return Q(submitted_at__isnull=True) if state == "missing" else Q(pk__in=[])
    return {
        "pending": Q(submitted_at__isnull=True, due_at__gte=now),
        "missing": Q(submitted_at__isnull=True, due_at__lt=now),
        "late": Q(submitted_at__gt=F("due_at")),
        "on_time": Q(submitted_at__lte=F("due_at")),
    }[state]


@dataclass(frozen=True)
class ReportListing:
    reports: QuerySet  # filtered and ordered, for the paginator
    counts: dict[str, int]  # by state, of the filtered reports
    unit_choices: list[tuple[int, str]]
    indicator_choices: list[tuple[int, str, str]]


def report_listing(
    user, year: AssessmentYear, *, unit: str, indicator: str, state: str, now
) -> ReportListing:
    """The reports of the year the user may see (ReportPolicy), filtered by unit, indicator and
    state as the list's filters give them (anything else is no filter), with the counts by state
    and the filters' choices (a community or department: only units and indicators it sees)."""
    reports = access.visible(
        user, Report.objects.filter(year=year).select_related("indicator", "unit")
    )
    units = (
        AssessedUnit.objects.filter(year=year, unit_id__in=reports.values("unit_id"))
        if not policies.sees_all(user)
        else AssessedUnit.objects.filter(year=year)
    )
    unit_choices = list(units.values_list("unit_id", "name"))
    indicator_choices = list(
        Indicator.objects.filter(year=year, pk__in=reports.values("indicator_id"))
        .order_by("code")
        .values_list("pk", "code", "name")
    )
    if unit.isdigit():
        reports = reports.filter(unit_id=int(unit))
    if indicator.isdigit():
        reports = reports.filter(indicator_id=int(indicator))
    if state in dict(REPORT_STATES):
        reports = reports.filter(state_q(state, now, closed=year.inputs_closed))
    counts = reports.aggregate(
        pending=Count("id", filter=state_q("pending", now, closed=year.inputs_closed)),
        missing=Count("id", filter=state_q("missing", now, closed=year.inputs_closed)),
        late=Count("id", filter=state_q("late", now, closed=year.inputs_closed)),
        on_time=Count("id", filter=state_q("on_time", now, closed=year.inputs_closed)),
    )
    return ReportListing(
        reports=reports.order_by("due_at", "unit__sort_order", "indicator__code"),
        counts=counts,
        unit_choices=unit_choices,
        indicator_choices=indicator_choices,
    )
