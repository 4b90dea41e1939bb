from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowsConfig(AppConfig):
    """Orchestration: viewflow processes, django-q2 tasks and schedules."""

    name = "workflows"
    verbose_name = _("Workflows")

    def ready(self) -> None:
        from core import access
        from core.context_processors import register_nav
        from core.models import Role

        register_nav(
            position=90,
            label=_("Deadline engine"),
            url_name="deadline_health",
            prefix="/deadlines/",
            visible=lambda user: (
                access.has_role(user, Role.OFFICE_STAFF, Role.ADMIN)
                or access.is_installation_admin(user)
            ),
        )

        # Core records notifications; delivering them is this app's machinery (a django-q2 task).
        from core import notifications

        from . import tasks

        notifications.set_dispatcher(tasks.queue_delivery)
