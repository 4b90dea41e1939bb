from django.urls import path

from . import converters, urls_results  # noqa: F401  (registers <code:…>)
from .views import catalogue, claims, corrections, fraud, inputs, reports, scoring, year

app_name = "appraisal"

urlpatterns = [
    path("", year.year_list, name="years"),
    path("<int:number>/", year.year_detail, name="year"),
    path("<int:number>/advance/", year.year_advance, name="year_advance"),
    path("<int:number>/settings/", year.year_settings, name="year_settings"),
    path("<int:number>/catalogue.xlsx", catalogue.catalogue_export, name="catalogue_export"),
    path("<int:number>/catalogue/import/", catalogue.catalogue_import, name="catalogue_import"),
    path("<int:number>/catalogue/mine.xlsx", catalogue.category_export, name="category_export"),
    path("<int:number>/catalogue/mine/import/", catalogue.category_import, name="category_import"),
    path("<int:number>/catalogue/approve/", catalogue.catalogue_approval, name="catalogue_approve"),
    path("<int:number>/indicators/new/", catalogue.indicator_edit, name="indicator_new"),
    path("<int:number>/indicators/<int:pk>/", catalogue.indicator_edit, name="indicator_edit"),
    path("<int:number>/reports/", reports.report_list, name="reports"),
    path("reports/<int:pk>/", reports.report_detail, name="report"),
    path("<int:number>/scoring/<code:code>/", scoring.scoring, name="scoring"),
    path("<int:number>/adjustments/", scoring.adjustments, name="adjustments"),
    path(
        "<int:number>/adjustments/<int:pk>/withdraw/",
        scoring.adjustment_withdraw,
        name="adjustment_withdraw",
    ),
    path(
        "<int:number>/spot-checks/<int:pk>/notice/",
        scoring.spot_check_notice,
        name="spot_check_notice",
    ),
    path("<int:number>/fraud/", fraud.fraud_list, name="fraud_list"),
    path("<int:number>/fraud/<int:pk>/", fraud.fraud_detail, name="fraud"),
    path("<int:number>/claims/", claims.claim_list, name="claims"),
    path("<int:number>/claims/publicity/", claims.publicity_board, name="claim_publicity"),
    path("claims/<int:pk>/", claims.claim_detail, name="claim"),
    path("<int:number>/inputs/", inputs.inputs, name="inputs"),
    path(
        "<int:number>/comprehensive.xlsx",
        inputs.comprehensive_export,
        name="comprehensive_export",
    ),
    path(
        "<int:number>/comprehensive/import/",
        inputs.comprehensive_import,
        name="comprehensive_import",
    ),
    path("<int:number>/votes.xlsx", inputs.votes_export, name="votes_export"),
    path("<int:number>/votes/import/", inputs.votes_import, name="votes_import"),
    path("<int:number>/correction/", corrections.correction, name="correction"),
    *urls_results.urlpatterns,
]
from . import urls_ballots  # noqa: E402

urlpatterns += urls_ballots.urlpatterns
from . import urls_yearend  # noqa: E402

urlpatterns += urls_yearend.urlpatterns
from . import urls_verification  # noqa: E402

urlpatterns += urls_verification.urlpatterns
from . import urls_selfeval  # noqa: E402

urlpatterns += urls_selfeval.urlpatterns
