"""The year-end inputs: satisfaction tallies (scoring.md §4), the comprehensive evaluation
(Art. 17) and the Leading Group's full-marks exceptions (Art. 4)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import Unit

from .catalogue import Category
from .year import POINTS, AssessmentYear


class VoteKind(models.TextChoices):
    DEBRIEFING = "debriefing", _("Debriefing appraisal")
    DEMOCRATIC = "democratic", _("Democratic evaluation")


class Vote(models.Model):
    """A satisfaction tally (scoring.md §4)."""

    year = models.ForeignKey(AssessmentYear, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=12, choices=VoteKind.choices)
    satisfied = models.PositiveIntegerField(_("satisfied"), default=0)
    basically = models.PositiveIntegerField(_("basically satisfied"), default=0)
    dissatisfied = models.PositiveIntegerField(_("dissatisfied"), default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["year", "unit", "kind"], name="vote_unique")]

    def __str__(self) -> str:
        return f"{self.kind} {self.satisfied}/{self.basically}/{self.dissatisfied}"


class Comprehensive(models.Model):
    """The comprehensive evaluation input of a unit (Art. 17), from outside this system."""

    year = models.ForeignKey(AssessmentYear, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    score = models.DecimalField(_("comprehensive score"), **POINTS)
    advanced = models.BooleanField(_("holds “advanced”"), default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["year", "unit"], name="comprehensive_unique"),
            models.CheckConstraint(
                condition=Q(score__gte=0) & Q(score__lte=100), name="comprehensive_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.score}"


class FullMarksException(models.Model):
    """The Leading Group allows a category to exceed the full-marks cap (Art. 4), with a reason."""

    year = models.ForeignKey(AssessmentYear, on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="+")
    reason = models.TextField(_("reason"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["year", "category"], name="full_marks_exception_unique")
        ]

    def __str__(self) -> str:
        return self.reason[:60]
