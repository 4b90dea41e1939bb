from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowsConfig(AppConfig):
    """Orchestration: viewflow processes, django-q2 tasks and schedules."""

    name = "workflows"
    verbose_name = _("Workflows")
