"""Results pages (ranking, drill-down, export, what-if, full-marks exceptions)."""

from django.urls import path

from . import converters  # noqa: F401  (registers <code:…>)
from .views import corrections
from .views import results as views_results

urlpatterns: list = [
    path("<int:number>/results/", views_results.results, name="results"),
    path(
        "<int:number>/results/exception/",
        views_results.results_exception,
        name="results_exception",
    ),
    path("<int:number>/results/export.xlsx", views_results.results_export, name="results_export"),
    path("<int:number>/results/what-if/", views_results.results_whatif, name="results_whatif"),
    path(
        "<int:number>/correction/republication/",
        corrections.republication,
        name="republication",
    ),
    path("<int:number>/results/<code:code>/", views_results.results_unit, name="results_unit"),
]
