from django.urls import path

from . import views

urlpatterns = [
    path("deadlines/status/", views.deadline_health, name="deadline_health"),
]
