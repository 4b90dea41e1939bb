"""Bonus claims (Art. 6)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from core.models import Unit

from .year import AssessmentYear


class BonusLevel(models.TextChoices):
    DISTRICT = "district", _("District")
    CITY = "city", _("City")
    PROVINCE = "province", _("Province")
    NATIONAL = "national", _("National")


class ClaimState(models.TextChoices):
    DECLARED = "declared", _("Declared")
    OFFICE_REVIEWED = "office_reviewed", _("Reviewed by the Office")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class BonusClaim(ConcurrentTransitionMixin, models.Model):
    """A bonus claim (附加项, Art. 6): declared → Office review → Leading Group → publicity."""

    year = models.ForeignKey(AssessmentYear, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    level = models.CharField(_("level"), max_length=10, choices=BonusLevel.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    status = FSMField(
        _("status"),
        max_length=16,
        choices=ClaimState.choices,
        default=ClaimState.DECLARED,
        protected=True,
    )
    declared_at = models.DateTimeField(_("declared at"), null=True, blank=True)
    declare_by = models.DateTimeField(_("declaration deadline"))
    publicity_ends_at = models.DateTimeField(_("publicity ends"), null=True, blank=True)
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    review_note = models.TextField(_("Office review"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    decision_note = models.TextField(_("Leading Group decision"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("bonus claim")
        verbose_name_plural = _("bonus claims")
        ordering = ["sort_order", "id"]
        indexes = [models.Index(fields=["year", "unit"], name="claim_year_unit")]

    def __str__(self) -> str:
        return self.title

    @property
    def late(self) -> bool:
        return self.declared_at is None or self.declared_at > self.declare_by

    @transition(field=status, source=ClaimState.DECLARED, target=ClaimState.OFFICE_REVIEWED)
    def review(self):
        pass

    @transition(field=status, source=ClaimState.OFFICE_REVIEWED, target=ClaimState.APPROVED)
    def approve(self):
        pass

    @transition(
        field=status,
        source=[ClaimState.DECLARED, ClaimState.OFFICE_REVIEWED],
        target=ClaimState.REJECTED,
    )
    def reject(self):
        pass

    # Art. 6: an objection upheld during publicity (通报展示) withdraws the approval.
    @transition(field=status, source=ClaimState.APPROVED, target=ClaimState.REJECTED)
    def withdraw(self):
        pass

    def in_publicity(self, now) -> bool:
        return (
            self.status == ClaimState.APPROVED
            and self.publicity_ends_at is not None
            and now < self.publicity_ends_at
        )


class ObjectionState(models.TextChoices):
    OPEN = "open", _("Awaiting the Office's answer")
    UPHELD = "upheld", _("Upheld")
    DISMISSED = "dismissed", _("Dismissed")


class ClaimObjection(models.Model):
    """An objection (异议) raised against a claim during its publicity (Art. 6); the Office
    upholds it (the approval is withdrawn) or dismisses it, with a reason."""

    claim = models.ForeignKey(BonusClaim, on_delete=models.CASCADE, related_name="objections")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    raised_at = models.DateTimeField(_("raised at"))
    reason = models.TextField(_("reason"))
    status = models.CharField(
        _("status"), max_length=10, choices=ObjectionState.choices, default=ObjectionState.OPEN
    )
    response = models.TextField(_("response"), blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["raised_at", "id"]

    def __str__(self) -> str:
        return self.reason[:40]
