"""Periodic reports (Art. 7, 8, 12): generated when the year starts, their inbox tasks opened as
their periods begin, filed by the communities (a late one is kept and excluded)."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core import access, evidence, workdays, workitems
from core.errors import Conflict
from core.models import Unit, UnitKind

from ..kinds import WI_REPORT
from ..models import (
    AssessedUnit,
    AssessmentYear,
    Indicator,
    Report,
    ReportVersion,
    Schedule,
    YearStatus,
)
from .common import audit, clean_text, guard_open, store_files, with_files


def periods(indicator: Indicator, number: int) -> list[tuple[dt.date, dt.date]]:
    """(first day, due date) of each reporting period: a month, a quarter, the year; a one-off
    report is open from the start of the year until its own date."""
    last = lambda m: dt.date(number, m, calendar.monthrange(number, m)[1])  # noqa: E731
    if indicator.schedule == Schedule.MONTHLY:
        return [(dt.date(number, m, 1), last(m)) for m in range(1, 13)]
    if indicator.schedule == Schedule.QUARTERLY:
        return [(dt.date(number, m - 2, 1), last(m)) for m in (3, 6, 9, 12)]
    if indicator.schedule == Schedule.ANNUAL:
        return [(dt.date(number, 1, 1), dt.date(number, 12, 31))]
    if indicator.schedule == Schedule.ONCE:
        return [(dt.date(number, 1, 1), indicator.due_date or dt.date(number, 3, 31))]
    return []


def start_year(year: AssessmentYear, *, now: dt.datetime) -> dict:
    """Fix the assessed communities and give each its reports (Art. 7, 8), in bulk. A report's
    task enters the community's inbox when its period begins (the deadline sweep opens the later
    ones: open_report_items)."""
    communities = list(
        Unit.objects.filter(
            sub_district_id=year.sub_district_id, kind=UnitKind.COMMUNITY, is_active=True
        ).order_by("sort_order", "code")
    )
    AssessedUnit.objects.filter(year=year).delete()
    AssessedUnit.objects.bulk_create(
        AssessedUnit(year=year, unit=u, code=u.code, name=u.name) for u in communities
    )
    reports = []
    for ind in Indicator.objects.filter(year=year).order_by("code"):
        spans = periods(ind, year.year)
        if ind.schedule != Schedule.CUSTOM:
            ind.required_reports = len(spans)
            ind.save(update_fields=["required_reports"])
        for unit in communities:
            for period, (opens, due) in enumerate(spans, start=1):
                reports.append(
                    Report(
                        year=year,
                        unit=unit,
                        indicator=ind,
                        period=period,
                        opens_at=workdays.start_of_day(opens),
                        due_at=workdays.end_of_day(due),
                    )
                )
    Report.objects.bulk_create(reports, batch_size=2000, ignore_conflicts=True)
    # The year is in progress from now on (the caller saves the status with this transaction).
    opened = _open_report_items(now, None, year_ids=[year.pk])
    return {"units": len(communities), "reports": len(reports), "tasks_opened": opened}


def open_report_items(now: dt.datetime, batch: int) -> int:
    """Deadline sweep hook: open the inbox task of every report whose period has begun, of the
    years in progress (at most `batch` per call). Set-based; idempotent."""
    return _open_report_items(now, batch)


def _open_report_items(now, batch, *, year_ids=None) -> int:
    ct = ContentType.objects.get_for_model(Report)
    due = Report.objects.filter(opens_at__lte=now, task_opened=False, submitted_at__isnull=True)
    if year_ids is None:
        due = due.filter(year__status__in=[YearStatus.IN_PROGRESS, YearStatus.YEAR_END])
    else:
        due = due.filter(year_id__in=year_ids)
    with transaction.atomic():
        rows = (
            due.select_related("indicator", "year")
            .order_by("pk")
            .select_for_update(of=("self",), skip_locked=True)
        )
        if batch is not None:
            rows = rows[:batch]
        rows = list(rows)
        workitems.open_items(
            workitems.NewItem(
                kind=WI_REPORT,
                subject_type=ct,
                subject_id=r.pk,
                owner_unit_id=r.unit_id,
                sub_district_id=r.year.sub_district_id,
                title=_report_title(r),
                reference=r.indicator.code,
                url=reverse("appraisal:report", args=[r.pk]),
                due_at=r.due_at,
            )
            for r in rows
        )
        Report.objects.filter(pk__in=[r.pk for r in rows]).update(task_opened=True)
    return len(rows)


def _report_title(report: Report) -> str:
    if report.indicator.required_reports > 1:
        return _("Report: %(name)s (period %(n)s)") % {
            "name": report.indicator.name,
            "n": report.period,
        }
    return _("Report: %(name)s") % {"name": report.indicator.name}


@with_files
def report_submit(*, report_id: int, acting_user, text: str, files: Sequence = ()) -> Report:
    """File a periodic report. A late one is accepted and kept, marked 逾期 and excluded from
    scoring (Art. 12)."""
    report = access.get_visible_or_404(
        acting_user,
        Report.objects.select_for_update(of=("self",)).select_related("year", "indicator"),
        pk=report_id,
    )
    access.require_action(acting_user, report, "submit")
    guard_open(report.year)
    if report.year.status not in (YearStatus.IN_PROGRESS, YearStatus.YEAR_END):
        raise Conflict(_("Reports are filed while the year is in progress."))
    if report.submitted_at is not None:
        raise Conflict(_("This report has been filed already."))
    text = clean_text(text, label=_("Report"))
    checked = evidence.check_uploads(files)
    if report.indicator.evidence_required and not checked:
        raise ValidationError(_("This indicator requires evidence: attach at least one file."))
    now = timezone.now()
    report.text = text
    report.submitted_at = now
    report.submitted_by = acting_user
    report.save(update_fields=["text", "submitted_at", "submitted_by"])
    ReportVersion.objects.create(
        report=report, number=1, text=text, submitted_at=now, submitted_by=acting_user
    )
    files = store_files(checked, subject=report, year=report.year, user=acting_user)
    workitems.close_items(subject=report, kinds=[WI_REPORT])
    audit(
        "appraisal.report_submitted",
        actor=acting_user,
        subject=report,
        year=report.year,
        after={
            "indicator": report.indicator.code,
            "period": report.period,
            "due_at": report.due_at,
            "submitted_at": now,
            "late": report.late,
            "text": text,
            "files": files,
        },
    )
    return report


@with_files
def report_amend(
    *, report_id: int, acting_user, text: str, version: int, files: Sequence = ()
) -> Report:
    """Amend a filed report before its due time: a new version, the earlier ones kept. The last
    version on or before the due time counts (scoring.md §1), so once the due time has passed a
    report is no longer amended: a later version could not count and must not replace the one
    that does (Art. 12). `version` is the number the user's page showed: another amendment made
    since is a conflict."""
    report = access.get_visible_or_404(
        acting_user,
        Report.objects.select_for_update(of=("self",)).select_related("year", "indicator"),
        pk=report_id,
    )
    access.require_action(acting_user, report, "submit")
    guard_open(report.year)
    if report.year.status not in (YearStatus.IN_PROGRESS, YearStatus.YEAR_END):
        raise Conflict(_("Reports are filed while the year is in progress."))
    if report.submitted_at is None:
        raise Conflict(_("This report has not been filed yet."))
    now = timezone.now()
    if now > report.due_at:
        raise Conflict(
            _(
                "The due time has passed: the report is no longer amended, the version filed "
                "on time counts (Art. 12)."
            )
        )
    current = report.versions.count()
    if version != current:
        raise Conflict(_("The report has been amended since you opened it: reload the page."))
    text = clean_text(text, label=_("Report"))
    checked = evidence.check_uploads(files)
    before = {"text": report.text, "submitted_at": report.submitted_at, "version": current}
    if text == report.text and not checked:
        raise ValidationError(_("The amendment changes nothing."))
    report.text = text
    report.submitted_at = now
    report.submitted_by = acting_user
    report.save(update_fields=["text", "submitted_at", "submitted_by"])
    ReportVersion.objects.create(
        report=report, number=current + 1, text=text, submitted_at=now, submitted_by=acting_user
    )
    stored = store_files(checked, subject=report, year=report.year, user=acting_user)
    audit(
        "appraisal.report_amended",
        actor=acting_user,
        subject=report,
        year=report.year,
        before=before,
        after={
            "indicator": report.indicator.code,
            "period": report.period,
            "due_at": report.due_at,
            "submitted_at": now,
            "version": current + 1,
            "text": text,
            "files": stored,
        },
    )
    return report
