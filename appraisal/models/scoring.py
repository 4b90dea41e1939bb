"""Scores (scoring.md §1), in-year additions and deductions, and spot checks (Art. 10)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import Unit

from .catalogue import Category, Indicator
from .year import POINTS, AssessmentYear


class Score(models.Model):
    """The lead department's score of an indicator for a unit, and the joint team's value."""

    year = models.ForeignKey(AssessmentYear, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="scores")
    department_score = models.DecimalField(_("department score"), null=True, blank=True, **POINTS)
    verified_score = models.DecimalField(
        _("joint-team verified score"), null=True, blank=True, **POINTS
    )
    comment = models.TextField(_("comment"), blank=True)
    scored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    scored_at = models.DateTimeField(_("scored at"), null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["indicator", "unit"], name="score_unique"),
            models.CheckConstraint(
                condition=Q(department_score__gte=0) | Q(department_score__isnull=True),
                name="score_department_nonneg",
            ),
            models.CheckConstraint(
                condition=Q(verified_score__gte=0) | Q(verified_score__isnull=True),
                name="score_verified_nonneg",
            ),
        ]
        indexes = [models.Index(fields=["year", "unit"], name="score_year_unit")]

    def __str__(self) -> str:
        return f"{self.indicator_id}/{self.unit_id}"


class Adjustment(models.Model):
    """An in-year addition or deduction (加扣分, Art. 10)."""

    year = models.ForeignKey(AssessmentYear, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="adjustments")
    points = models.DecimalField(_("points"), **POINTS)
    reason = models.TextField(_("reason"))
    source = models.CharField(_("source"), max_length=100)
    date = models.DateField(_("date"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    # Art. 10: a wrong entry is withdrawn with a reason (kept, shown struck through, no longer
    # counted), never deleted or offset by another entry.
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdrawal_reason = models.TextField(_("reason for withdrawal"), blank=True)

    class Meta:
        verbose_name = _("adjustment")
        verbose_name_plural = _("adjustments")
        ordering = ["date", "id"]
        indexes = [models.Index(fields=["year", "unit"], name="adjustment_year_unit")]
        constraints = [
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | ~Q(withdrawal_reason=""),
                name="adjustment_withdrawal_has_reason",
            )
        ]

    def __str__(self) -> str:
        return f"{self.points} {self.reason[:40]}"

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_at is not None


class SpotCheck(models.Model):
    """A spot check of a unit (Art. 10), possibly leading to a rectification notice."""

    year = models.ForeignKey(AssessmentYear, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="+")
    indicator = models.ForeignKey(
        Indicator, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    date = models.DateField(_("date"))
    findings = models.TextField(_("findings"))
    # The rectification notice raised from this check (Art. 10, 11), set when it is raised.
    notice = models.ForeignKey(
        "rectification.Notice",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("notice"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("spot check")
        verbose_name_plural = _("spot checks")
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"{self.date} {self.findings[:40]}"
