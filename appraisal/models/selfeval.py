"""The communities' self-evaluation at the year end (自查自评, Art. 15): per community and round,
the special report on Party-building (党建工作专题报告: text and attachments, core.Evidence on
the SelfEvaluation) and the self-evaluation form (自评表: a self-score and a note per indicator).
The community's staff (经办人) drafts, its Party secretary (书记) submits or sends it back; a
self-evaluation submitted after its due time is accepted and marked late (Art. 12)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from core.models import Unit

from .catalogue import Indicator
from .year import AssessmentYear

__all__ = ["SelfEvaluation", "SelfEvaluationState", "SelfScore"]


class SelfEvaluationState(models.TextChoices):
    DRAFT = "draft", _("Being drafted")
    WITH_SECRETARY = "with_secretary", _("With the Party secretary")
    SUBMITTED = "submitted", pgettext_lazy("self-evaluation", "Submitted")


class SelfEvaluation(ConcurrentTransitionMixin, models.Model):
    """One round of a community's self-evaluation (a task of the year-end process). A return by
    the Leading Group opens the next round; the earlier rounds stay as they were submitted."""

    year = models.ForeignKey(AssessmentYear, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    round = models.PositiveSmallIntegerField(_("round"), default=1)
    due_at = models.DateTimeField(_("due"))
    state = FSMField(
        _("state"),
        max_length=16,
        choices=SelfEvaluationState.choices,
        default=SelfEvaluationState.DRAFT,
        protected=True,
    )
    report = models.TextField(_("special report on Party-building"), blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    # Art. 12: accepted after its due time, but marked.
    late = models.BooleanField(_("late"), default=False)
    returned_comment = models.TextField(_("secretary's comment on return"), blank=True)
    version = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("self-evaluation")
        verbose_name_plural = _("self-evaluations")
        ordering = ["year", "unit__code", "round"]
        constraints = [
            models.UniqueConstraint(fields=["year", "unit", "round"], name="selfeval_round_unique"),
            models.CheckConstraint(condition=Q(round__gte=1), name="selfeval_round_positive"),
        ]
        indexes = [models.Index(fields=["year", "state", "unit"], name="selfeval_year_state")]

    def __str__(self) -> str:
        return f"{self.unit} #{self.round}"

    def get_absolute_url(self) -> str:
        return reverse("appraisal:selfeval", args=[self.year.year, self.unit.code])

    @transition(
        field=state, source=SelfEvaluationState.DRAFT, target=SelfEvaluationState.WITH_SECRETARY
    )
    def to_secretary(self):
        pass

    @transition(
        field=state, source=SelfEvaluationState.WITH_SECRETARY, target=SelfEvaluationState.DRAFT
    )
    def send_back(self):
        pass

    # The secretary submits what the staff handed over, or what she drafted herself.
    @transition(
        field=state,
        source=[SelfEvaluationState.DRAFT, SelfEvaluationState.WITH_SECRETARY],
        target=SelfEvaluationState.SUBMITTED,
    )
    def submit(self):
        pass


class SelfScore(models.Model):
    """The community's own score and note for one indicator of the year's catalogue."""

    selfeval = models.ForeignKey(SelfEvaluation, on_delete=models.CASCADE, related_name="scores")
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="+")
    score = models.DecimalField(
        _("self-score"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("self-score")
        verbose_name_plural = _("self-scores")
        ordering = ["indicator__sort_order", "indicator__code"]
        constraints = [
            models.UniqueConstraint(fields=["selfeval", "indicator"], name="selfscore_unique")
        ]

    def __str__(self) -> str:
        return f"{self.selfeval_id}/{self.indicator_id}: {self.score}"
