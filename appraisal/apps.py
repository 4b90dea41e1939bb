from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppraisalConfig(AppConfig):
    """Assessment years, indicators, periodic reports, scores and results (Art. 4-19)."""

    name = "appraisal"
    verbose_name = _("Appraisal")
