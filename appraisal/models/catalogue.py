"""The indicator catalogue (Art. 4, 5, 7): categories and their indicators."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import Unit

from .year import POINTS, AssessmentYear


class Category(models.Model):
    """One of the four categories (Art. 4), with its lead unit (a department or the Office)."""

    year = models.ForeignKey(AssessmentYear, on_delete=models.CASCADE, related_name="categories")
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=100)
    department = models.CharField(_("lead department"), max_length=100)
    lead_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    max_points = models.DecimalField(_("maximum points"), **POINTS)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["sort_order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["year", "code"], name="category_code_unique"),
            models.CheckConstraint(condition=Q(max_points__gte=0), name="category_max_nonneg"),
        ]

    def __str__(self) -> str:
        return self.name


class Schedule(models.TextChoices):
    NONE = "none", _("No reports")
    ONCE = "once", _("Once")
    ANNUAL = "annual", _("Annual")
    QUARTERLY = "quarterly", _("Quarterly")
    MONTHLY = "monthly", _("Monthly")
    CUSTOM = "custom", _("Other (imported)")


SCHEDULE_REPORTS = {
    Schedule.NONE: 0,
    Schedule.ONCE: 1,
    Schedule.ANNUAL: 1,
    Schedule.QUARTERLY: 4,
    Schedule.MONTHLY: 12,
}


class Indicator(models.Model):
    """An indicator of the catalogue (Art. 5) with its reporting schedule (Art. 7)."""

    year = models.ForeignKey(AssessmentYear, on_delete=models.CASCADE, related_name="indicators")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="indicators")
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    max_points = models.DecimalField(_("maximum points"), **POINTS)
    evidence_required = models.BooleanField(_("evidence required"), default=False)
    schedule = models.CharField(
        _("reporting schedule"), max_length=10, choices=Schedule.choices, default=Schedule.NONE
    )
    required_reports = models.PositiveSmallIntegerField(_("required reports"), default=0)
    # For a one-off report: its due date (the others fall due at the end of their period).
    due_date = models.DateField(_("due date (one-off)"), null=True, blank=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["year", "code"], name="indicator_code_unique"),
            models.CheckConstraint(condition=Q(max_points__gte=0), name="indicator_max_nonneg"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"
