"""Corrections of decided results and the published versions of the results (Art. 16)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .year import AssessmentYear


class CorrectionState(models.TextChoices):
    REQUESTED = "requested", _("Awaiting the Leading Group")
    APPROVED = "approved", _("Approved: inputs open")
    REFUSED = "refused", _("Refused")
    CLOSED = "closed", pgettext_lazy("correction", "Closed")
    # Art. 16: corrected results are published again only when the Leading Group approves.
    AWAITING_REPUBLICATION = "awaiting_republication", _("Closed: republication awaits approval")
    REPUBLISHED = "republished", _("Closed and republished")
    REPUBLICATION_REFUSED = "republication_refused", _("Closed: republication refused")


# A correction in one of these states blocks another correction and the year's next step.
OPEN_CORRECTION_STATES = (
    CorrectionState.REQUESTED,
    CorrectionState.APPROVED,
    CorrectionState.AWAITING_REPUBLICATION,
)


class Correction(models.Model):
    """A correction of a published year (Art. 16: the published results are the Leading Group's
    decision, so only it reopens them): requested by the Office with a reason, approved by the
    Leading Group; while approved and not closed, the year's inputs may change
    (each change audited as usual); closing it freezes the year again."""

    year = models.ForeignKey(AssessmentYear, on_delete=models.CASCADE, related_name="corrections")
    reason = models.TextField(_("reason"))
    state = models.CharField(
        _("state"),
        max_length=24,
        choices=CorrectionState.choices,
        default=CorrectionState.REQUESTED,
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # The Leading Group's decision on republishing the corrected results (Art. 16).
    republication_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    republication_decided_at = models.DateTimeField(
        _("republication decided at"), null=True, blank=True
    )
    republication_note = models.TextField(_("republication note"), blank=True)

    class Meta:
        verbose_name = _("correction")
        verbose_name_plural = _("corrections")
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return self.reason[:60]


class ResultsVersionQuerySet(models.QuerySet):
    """Published results are never changed nor removed: there is no update path."""

    def update(self, **kwargs):
        raise TypeError("a published results version cannot be changed")

    def delete(self):
        raise TypeError("a published results version cannot be deleted")


class ResultsVersion(models.Model):
    """One publication of the year's results (Art. 16, 17): the figures every viewer outside the
    Office sees, frozen as they were published. Version 1 is written when the year is published;
    each later one when the Leading Group approves the republication of a closed correction.

    `figures` is results.versions.snapshot() of the results (Decimals as strings), `settings_used`
    the scoring settings as the year bundle writes them, `bundle_sha256` the SHA-256 of the
    canonical bytes of the year bundle the figures were computed from (versions.bundle_sha256).
    Written once by services.publication.version_write, with its audit row; never changed."""

    year = models.ForeignKey(AssessmentYear, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    published_at = models.DateTimeField(_("published at"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    as_of = models.DateTimeField(_("results as of"))
    figures = models.JSONField(_("figures"))
    figures_sha256 = models.CharField(_("SHA-256 of the figures"), max_length=64)
    settings_used = models.JSONField(_("settings used"))
    bundle_sha256 = models.CharField(_("SHA-256 of the year bundle"), max_length=64)
    # 发文字号 of the results bulletin of this publication (GB/T 9704-2012 §7.2.4), counted per
    # sub-district and calendar year; blank for versions stored before bulletins were numbered.
    document_number = models.CharField(_("document number"), max_length=60, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    correction = models.OneToOneField(
        Correction,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="version",
    )

    objects = ResultsVersionQuerySet.as_manager()

    class Meta:
        verbose_name = _("published results version")
        verbose_name_plural = _("published results versions")
        ordering = ["year", "number"]
        constraints = [
            models.UniqueConstraint(fields=["year", "number"], name="results_version_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="results_version_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.year_id} v{self.number}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("a published results version cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("a published results version cannot be deleted")
