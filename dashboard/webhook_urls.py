from django.urls import path

from dashboard import webhooks

app_name = "webhooks"

urlpatterns = [
    path("", webhooks.endpoint_list, name="list"),
    path("new/", webhooks.endpoint_create, name="create"),
    path("<int:pk>/", webhooks.endpoint_detail, name="detail"),
    path("<int:pk>/delete/", webhooks.endpoint_delete, name="delete"),
]
