"""The joint assessment team (联合考核组, Art. 14) and its verification of each category at the
year end: one CategoryVerification per category and round, a group task of the category's
members; the verified values themselves are Score.verified_score (scoring.md §1), and every
value and comment entered is kept per round (VerificationEntry)."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.models import Unit

from .catalogue import Category, Indicator
from .year import POINTS, AssessmentYear

__all__ = [
    "VERIFICATION_THRESHOLD",
    "CategoryVerification",
    "TeamMember",
    "VerificationEntry",
    "VerificationState",
]

# Differences between the self-score, the department's score and the verified value above this
# many points are highlighted on the verification page.
VERIFICATION_THRESHOLD = Decimal("2.00")


class TeamMember(models.Model):
    """A member of the year's joint team for a category, or its leader (category null)."""

    year = models.ForeignKey(AssessmentYear, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    is_leader = models.BooleanField(_("team leader"), default=False)

    class Meta:
        verbose_name = _("joint team member")
        verbose_name_plural = _("joint team members")
        constraints = [
            models.UniqueConstraint(
                fields=["year"], condition=Q(is_leader=True), name="team_one_leader"
            ),
            models.UniqueConstraint(fields=["year", "user", "category"], name="team_member_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.category or _('team leader')}"


class VerificationState(models.TextChoices):
    OPEN = "open", _("Being verified")
    SIGNED_OFF = "signed_off", _("Signed off")


class CategoryVerification(models.Model):
    """One round of the joint team's verification of a category (a group task)."""

    year = models.ForeignKey(AssessmentYear, on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="+")
    round = models.PositiveSmallIntegerField(_("round"), default=1)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    state = models.CharField(
        _("state"),
        max_length=12,
        choices=VerificationState.choices,
        default=VerificationState.OPEN,
    )
    signed_off_at = models.DateTimeField(_("signed off at"), null=True, blank=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("category verification")
        verbose_name_plural = _("category verifications")
        ordering = ["category__sort_order", "round"]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "category", "round"], name="verification_round_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.category} #{self.round}"

    def get_absolute_url(self) -> str:
        return reverse("appraisal:verification", args=[self.year.year, self.category.code])


class VerificationEntry(models.Model):
    """A verified value and comment as entered in a round (the history of the verification)."""

    verification = models.ForeignKey(
        CategoryVerification, on_delete=models.CASCADE, related_name="entries"
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="+")
    value = models.DecimalField(_("verified value"), null=True, blank=True, **POINTS)
    comment = models.TextField(_("joint team's comment"), blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(_("entered at"))

    class Meta:
        verbose_name = _("verification entry")
        verbose_name_plural = _("verification entries")
        ordering = ["pk"]
        indexes = [models.Index(fields=["verification", "unit", "indicator"], name="ventry_cell")]

    def __str__(self) -> str:
        return f"{self.unit_id}/{self.indicator_id}: {self.value}"
