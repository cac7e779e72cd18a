from django.urls import path
from rest_framework.routers import SimpleRouter

from disclosures.api.views import DisclosureViewSet, IncidentDisclosureViewSet

router = SimpleRouter()
router.register("disclosures", DisclosureViewSet, basename="disclosure")

urlpatterns = [
    path(
        "incidents/<int:incident_pk>/disclosures/",
        IncidentDisclosureViewSet.as_view({"get": "list", "post": "create"}),
        name="incident-disclosure-list",
    ),
    *router.urls,
]
