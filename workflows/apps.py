from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowsConfig(AppConfig):
    """Orchestration: viewflow processes, django-q2 tasks and schedules, the deadline sweep, the
    one task inbox (待办) and the home page."""

    name = "workflows"
    verbose_name = _("Workflows")

    def ready(self) -> None:
        from . import audit_events

        audit_events.register()
        from . import kinds, plans, yearend

        kinds.register()
        yearend.register()
        plans.register()
        from core import access
        from core.context_processors import register_nav
        from core.models import Role

        from .selectors import work_units

        # The one 待办: for everyone whose role receives work, whichever app opened it.
        register_nav(
            position=10,
            label=_("Task inbox"),
            url_name="inbox",
            prefix="/inbox/",
            visible=lambda user: bool(work_units(user)),
        )
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

        # The previous year, published, with its plans (Art. 20): after appraisal's and
        # rectification's seeders (their apps are installed first). It takes half a minute, so
        # only `seed_demo --previous-year` (make run) runs it: the browser tests stay fast.
        from core.demo import register_seeder

        from .demo import seed_previous_year

        register_seeder(seed_previous_year, option="previous_year")
