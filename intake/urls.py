"""Browser URLs of the intake queue."""

from django.urls import path

from intake import suppression_views, views

app_name = "intake"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("bulk/", views.bulk, name="bulk"),
    path("suppression/", suppression_views.suppression_rules, name="suppression"),
    path(
        "suppression/<int:pk>/end/",
        suppression_views.suppression_rule_end,
        name="suppression_end",
    ),
    path("<int:pk>/", views.alert_detail, name="detail"),
    path("<int:pk>/unmerge/", views.unmerge, name="unmerge"),
]
