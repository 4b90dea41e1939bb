from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RectificationConfig(AppConfig):
    """Rectification notices (Art. 11) and next-year rectification plans (Art. 20)."""

    name = "rectification"
    verbose_name = _("Rectification")
