"""Periodic reports (Art. 7, 8, 12)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import Unit

from .catalogue import Indicator
from .year import AssessmentYear


class Report(models.Model):
    """One periodic report of a community for an indicator (Art. 7, 8, 12).

    Late and missing reports are kept and excluded from scoring (scoring.md §1).
    """

    year = models.ForeignKey(AssessmentYear, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="reports")
    period = models.PositiveSmallIntegerField(_("period"))
    due_at = models.DateTimeField(_("due"))
    # When its task appears in the community's inbox: the start of its period (null: never, as
    # for the reports of a year imported from a bundle).
    opens_at = models.DateTimeField(_("open from"), null=True, blank=True)
    task_opened = models.BooleanField(_("task opened"), default=False)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    text = models.TextField(_("report"), blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["indicator__code", "period"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "unit", "period"], name="report_unique_period"
            ),
            models.CheckConstraint(condition=Q(period__gte=1), name="report_period_positive"),
        ]
        indexes = [
            models.Index(fields=["year", "unit"], name="report_year_unit"),
            # The sweep's opener looks only at reports whose task is still to open.
            models.Index(
                fields=["opens_at"],
                condition=Q(task_opened=False, submitted_at__isnull=True),
                name="report_task_to_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator.code} #{self.period}"

    @property
    def late(self) -> bool:
        return self.submitted_at is not None and self.submitted_at > self.due_at

    @property
    def counted(self) -> bool:
        return self.submitted_at is not None and self.submitted_at <= self.due_at


class ReportVersion(models.Model):
    """One filing of a report: the first and each amendment made before its due time. The last
    version on or before the due time is the one that counts (scoring.md §1); none is ever
    changed or removed."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField(_("version"))
    text = models.TextField(_("report"), blank=True)
    submitted_at = models.DateTimeField(_("submitted at"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("report version")
        verbose_name_plural = _("report versions")
        ordering = ["report", "number"]
        constraints = [
            models.UniqueConstraint(fields=["report", "number"], name="report_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.report_id} v{self.number}"
