"""Fraud findings (Art. 19)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from core.models import Unit

from .catalogue import Category
from .year import AssessmentYear


class FraudState(models.TextChoices):
    PROPOSED = "proposed", _("Awaiting the Leading Group")
    UPHELD = "upheld", _("Upheld")
    REJECTED = "rejected", _("Rejected")


class FraudFinding(ConcurrentTransitionMixin, models.Model):
    """A finding of falsification (Art. 19): once the Leading Group upholds it, the unit's whole
    category scores zero."""

    year = models.ForeignKey(AssessmentYear, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="+")
    reason = models.TextField(_("reason"))
    state = FSMField(
        _("state"),
        max_length=10,
        choices=FraudState.choices,
        default=FraudState.PROPOSED,
        protected=True,
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)

    class Meta:
        verbose_name = _("fraud finding")
        verbose_name_plural = _("fraud findings")
        ordering = ["-recorded_at"]

    def __str__(self) -> str:
        return self.reason[:60]

    @transition(field=state, source=FraudState.PROPOSED, target=FraudState.UPHELD)
    def uphold(self):
        pass

    @transition(field=state, source=FraudState.PROPOSED, target=FraudState.REJECTED)
    def reject(self):
        pass
