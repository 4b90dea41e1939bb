"""The communities' self-evaluation (自查自评, Art. 15)."""

from django.urls import path

from . import converters  # noqa: F401  (registers <code:…>)
from .views import selfeval

urlpatterns = [
    path("<int:number>/self-evaluation/", selfeval.overview, name="selfeval_overview"),
    path("<int:number>/self-evaluation/<code:code>/", selfeval.selfeval, name="selfeval"),
]
