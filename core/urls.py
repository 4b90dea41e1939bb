from django.urls import path

from . import views

urlpatterns = [
    path("org/", views.org_units, name="org_units"),
    path("org/<int:pk>/", views.unit_detail, name="unit_detail"),
    path("audit/", views.audit_list, name="audit_list"),
    path("audit/<int:pk>/", views.audit_detail, name="audit_detail"),
    path("calendar/", views.calendar, name="calendar"),
    path("calendar/days/", views.calendar_day_save, name="calendar_day_save"),
    path("calendar/days/<int:pk>/delete/", views.calendar_day_delete, name="calendar_day_delete"),
    path("calendar/years/", views.calendar_year_save, name="calendar_year_save"),
    path("calendar/import/", views.calendar_import, name="calendar_import"),
    path("calendar/template.xlsx", views.calendar_template, name="calendar_template"),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence_download"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/<int:pk>/", views.notification_open, name="notification_open"),
    path("notifications/read-all/", views.notifications_read_all, name="notifications_read_all"),
]
