from django.urls import path

from . import converters, urls_results, views  # noqa: F401  (registers <code:…>)

app_name = "appraisal"

urlpatterns = [
    path("", views.year_list, name="years"),
    path("<int:number>/", views.year_detail, name="year"),
    path("<int:number>/advance/", views.year_advance, name="year_advance"),
    path("<int:number>/settings/", views.year_settings, name="year_settings"),
    path("<int:number>/catalogue.xlsx", views.catalogue_export, name="catalogue_export"),
    path("<int:number>/catalogue/import/", views.catalogue_import, name="catalogue_import"),
    path("<int:number>/indicators/new/", views.indicator_edit, name="indicator_new"),
    path("<int:number>/indicators/<int:pk>/", views.indicator_edit, name="indicator_edit"),
    path("<int:number>/reports/", views.report_list, name="reports"),
    path("reports/<int:pk>/", views.report_detail, name="report"),
    path("<int:number>/scoring/<code:code>/", views.scoring, name="scoring"),
    path("<int:number>/adjustments/", views.adjustments, name="adjustments"),
    path("<int:number>/fraud/", views.fraud_list, name="fraud_list"),
    path("<int:number>/fraud/<int:pk>/", views.fraud_detail, name="fraud"),
    path("<int:number>/claims/", views.claim_list, name="claims"),
    path("claims/<int:pk>/", views.claim_detail, name="claim"),
    path("<int:number>/inputs/", views.inputs, name="inputs"),
    path(
        "<int:number>/comprehensive.xlsx",
        views.comprehensive_export,
        name="comprehensive_export",
    ),
    path(
        "<int:number>/comprehensive/import/",
        views.comprehensive_import,
        name="comprehensive_import",
    ),
    path("<int:number>/correction/", views.correction, name="correction"),
    *urls_results.urlpatterns,
]
