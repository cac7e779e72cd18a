from django.urls import path
from rest_framework.routers import SimpleRouter

from intake.api.views import AlertViewSet
from intake.api.webhooks import AlertWebhookView

router = SimpleRouter()
router.register("alerts", AlertViewSet, basename="alert")

urlpatterns = [
    path("alerts/webhooks/<str:adapter>/", AlertWebhookView.as_view(), name="alert-webhook"),
    *router.urls,
]
