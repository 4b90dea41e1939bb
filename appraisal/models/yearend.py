"""The Leading Group's decision step of the year-end process (Art. 16) and the interviews of the
bottom-ranked communities (约谈, Art. 18)."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.models import Unit

from .year import AssessmentYear

__all__ = ["Decision", "DecisionState", "Interview", "InterviewState"]


class DecisionState(models.TextChoices):
    OPEN = "open", _("Awaiting the decision")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Returned")


class Decision(models.Model):
    """One round of the Leading Group's decision: it approves the results (they are fixed as of
    that moment) or returns a named earlier step with a reason; a return opens the next round."""

    year = models.ForeignKey(AssessmentYear, on_delete=models.CASCADE, related_name="+")
    round = models.PositiveSmallIntegerField(_("round"), default=1)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=DecisionState.choices, default=DecisionState.OPEN
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # {"step": "selfeval", "units": [...]}, {"step": "verify", "categories": [...]} or
    # {"step": "votes"}
    return_target = models.JSONField(_("returned to"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    version = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("Leading Group decision")
        verbose_name_plural = _("Leading Group decisions")
        ordering = ["year", "round"]
        constraints = [
            models.UniqueConstraint(fields=["year", "round"], name="decision_round_unique")
        ]

    def __str__(self) -> str:
        return f"{self.year} #{self.round}"

    def get_absolute_url(self) -> str:
        return reverse("appraisal:decision", args=[self.year.year, self.round])


class InterviewState(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    RECORDED = "recorded", _("Recorded")


class Interview(models.Model):
    """The interview of a bottom-ranked community's main responsible person (Art. 18)."""

    year = models.ForeignKey(AssessmentYear, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    state = models.CharField(
        _("state"),
        max_length=10,
        choices=InterviewState.choices,
        default=InterviewState.SCHEDULED,
    )
    held_on = models.DateField(_("held on"), null=True, blank=True)
    participants = models.TextField(_("participants"), blank=True)
    content = models.TextField(_("content"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), null=True, blank=True)
    notice = models.ForeignKey(
        "rectification.Notice",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("rectification notice"),
    )
    version = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("interview")
        verbose_name_plural = _("interviews")
        ordering = ["year", "unit__code"]
        constraints = [
            models.UniqueConstraint(fields=["year", "unit"], name="interview_year_unit_unique")
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.unit}"

    def get_absolute_url(self) -> str:
        return reverse("appraisal:interview", args=[self.year.year, self.pk])
