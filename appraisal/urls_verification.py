"""The joint team and its verification of each category (Art. 14)."""

from django.urls import path

from . import converters  # noqa: F401  (registers <code:…>)
from .views import verification

urlpatterns = [
    path("<int:number>/team/", verification.team, name="team"),
    path("<int:number>/verification/<code:code>/", verification.verification, name="verification"),
]
