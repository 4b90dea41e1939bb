from django.urls import path

from .views import home, inbox, status, yearend

urlpatterns = [
    path("", home.home, name="home"),
    path("inbox/", inbox.inbox, name="inbox"),
    path("deadlines/status/", status.deadline_health, name="deadline_health"),
    # The year-end process (Art. 14–18): our pages, scoped; viewflow's own viewset is not mounted.
    path("year-end/<int:number>/", yearend.yearend_process, name="yearend_process"),
    path("year-end/<int:number>/start/", yearend.yearend_start, name="yearend_start"),
    path("year-end/<int:number>/results/", yearend.yearend_results, name="yearend_results"),
    path("year-end/<int:number>/publish/", yearend.yearend_publish, name="yearend_publish"),
    path("year-end/<int:number>/progress.json", yearend.yearend_progress, name="yearend_progress"),
    path(
        "year-end/<int:number>/documents/<str:filename>",
        yearend.yearend_document,
        name="yearend_document",
    ),
    path("year-end/tasks/<int:item_id>/<str:action>/", yearend.task_hold, name="yearend_task_hold"),
]
