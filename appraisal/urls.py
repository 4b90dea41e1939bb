from django.urls import path

from . import urls_results, views

app_name = "appraisal"

urlpatterns = [
    path("", views.year_list, name="years"),
    path("<int:number>/", views.year_detail, name="year"),
    path("reports/<int:pk>/", views.report_detail, name="report"),
    path("claims/<int:pk>/", views.claim_detail, name="claim"),
    path("<int:number>/fraud/<int:pk>/", views.fraud_detail, name="fraud"),
    *urls_results.urlpatterns,
]
