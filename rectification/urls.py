from django.urls import path

from . import views
from .plans import urls as plan_urls

urlpatterns = [
    path("notices/", views.ledger, name="ledger"),
    path("notices/export.xlsx", views.ledger_export, name="ledger_export"),
    path("notices/new/", views.notice_new, name="notice_new"),
    path("notices/<int:pk>/", views.notice_detail, name="notice_detail"),
    path("notices/<int:pk>/edit/", views.notice_edit, name="notice_edit"),
    path("notices/<int:pk>/issue/", views.notice_issue, name="notice_issue"),
    path("notices/<int:pk>/reply/", views.notice_reply, name="notice_reply"),
    path("notices/<int:pk>/measures/", views.notice_measures, name="notice_measures"),
    path("notices/<int:pk>/return/", views.notice_return, name="notice_return"),
    path("notices/<int:pk>/verify/", views.notice_verify, name="notice_verify"),
    path("notices/<int:pk>/withdraw/", views.notice_withdraw, name="notice_withdraw"),
    path("notices/<int:pk>/escalate/", views.notice_escalate, name="notice_escalate"),
    path("notices/<int:pk>/interview/", views.notice_interview, name="notice_interview"),
    path(
        "notices/<int:pk>/extension/",
        views.notice_extension_request,
        name="notice_extension_request",
    ),
    path(
        "notices/<int:pk>/extension/decide/",
        views.notice_extension_decide,
        name="notice_extension_decide",
    ),
    path(
        "notices/<int:pk>/dismiss-proposal/",
        views.notice_dismiss_proposal,
        name="notice_dismiss_proposal",
    ),
]
urlpatterns += plan_urls.urlpatterns
