from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from core import views as core_views

urlpatterns = [
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/", core_views.AuditedPasswordChangeView.as_view(), name="password_change"
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("accounts/me/", core_views.account, name="account"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("core.urls")),
    path("", include("rectification.urls")),
    path("", include("workflows.urls")),
    path("appraisal/", include("appraisal.urls")),
    path("ballot/", include("appraisal.urls_ballot_public")),  # public: no log-in (Art. 15)
    path("admin/", admin.site.urls),
]
