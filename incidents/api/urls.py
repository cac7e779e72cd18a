from rest_framework.routers import SimpleRouter

from incidents.api.systems import IncidentSystemViewSet
from incidents.api.views import IncidentViewSet

router = SimpleRouter()
router.register("incidents", IncidentViewSet, basename="incident")
router.register(
    r"incidents/(?P<incident_pk>[0-9]+)/systems", IncidentSystemViewSet, basename="incident-system"
)

urlpatterns = router.urls
