from django.urls import path

from .views import home, inbox, status

urlpatterns = [
    path("", home.home, name="home"),
    path("inbox/", inbox.inbox, name="inbox"),
    path("deadlines/status/", status.deadline_health, name="deadline_health"),
]
