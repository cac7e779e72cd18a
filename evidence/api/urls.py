from rest_framework.routers import SimpleRouter

from evidence.api.views import EvidenceViewSet, IncidentEvidenceViewSet

router = SimpleRouter()
router.register(
    r"incidents/(?P<incident_pk>[0-9]+)/evidence",
    IncidentEvidenceViewSet,
    basename="incident-evidence",
)
router.register("evidence", EvidenceViewSet, basename="evidence")

urlpatterns = router.urls
