"""The processes this app orchestrates (viewflow). The year-end process's artifact is the
assessment year (Process.artifact); each human task's artifact is the app's row for that step."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Process


class YearEndProcess(Process):
    """The year-end appraisal of one assessment year (Art. 14–18)."""

    class Meta:
        proxy = True
        verbose_name = _("year-end appraisal process")
        verbose_name_plural = _("year-end appraisal processes")


class DocumentRunState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Generating")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class DocumentRun(models.Model):
    """One generation of a published year's written results (Art. 16): the feedback letters and
    the bulletin, made in the background; the year page shows its progress."""

    year = models.ForeignKey("appraisal.AssessmentYear", on_delete=models.CASCADE, related_name="+")
    state = models.CharField(
        _("state"), max_length=10, choices=DocumentRunState.choices, default="queued"
    )
    total = models.PositiveIntegerField(_("documents to make"), default=0)
    done = models.PositiveIntegerField(_("documents made"), default=0)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("document generation")
        verbose_name_plural = _("document generations")
        ordering = ["-pk"]

    def __str__(self) -> str:
        return f"{self.year_id}: {self.state} {self.done}/{self.total}"

    @property
    def percent(self) -> int:
        return (
            100 if self.state == DocumentRunState.DONE else int(100 * self.done / (self.total or 1))
        )


class PlanProcess(Process):
    """One community's rectification plan for the problems of a year (Art. 20)."""

    class Meta:
        proxy = True
        verbose_name = _("rectification plan process")
        verbose_name_plural = _("rectification plan processes")
