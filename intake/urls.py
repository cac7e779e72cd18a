"""Browser URLs of the intake queue."""

from django.urls import path

from intake import views

app_name = "intake"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("bulk/", views.bulk, name="bulk"),
    path("<int:pk>/", views.alert_detail, name="detail"),
    path("<int:pk>/unmerge/", views.unmerge, name="unmerge"),
]
