"""The Leading Group's decision and the interviews of the bottom units (Art. 16, 18)."""

from django.urls import path

from .views import yearend

urlpatterns = [
    path("<int:number>/decision/<int:round>/", yearend.decision, name="decision"),
    path("<int:number>/interviews/", yearend.interviews, name="interviews"),
    path("<int:number>/interviews/<int:pk>/", yearend.interview, name="interview"),
]
