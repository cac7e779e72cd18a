from django.urls import path

from dashboard import metrics_views, report_views, search_views, views

app_name = "dashboard"

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "integrity/<int:pk>/acknowledge/",
        views.integrity_acknowledge,
        name="integrity_acknowledge",
    ),
    path("search/", search_views.search_page, name="search"),
    path("metrics/", metrics_views.metrics_page, name="metrics"),
    path("metrics/export.csv", metrics_views.metrics_export, name="metrics_export"),
    # Under /incidents/ but served here: this include comes before incidents.urls in
    # config/urls.py, so the path resolves to the report.
    path("incidents/<int:pk>/report/", report_views.incident_report_page, name="incident_report"),
]
