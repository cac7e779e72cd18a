from rest_framework.routers import SimpleRouter

from incidents.api.crew import IncidentCrewViewSet, IncidentTimelineViewSet
from incidents.api.systems import IncidentSystemViewSet
from incidents.api.tasks import IncidentTaskViewSet
from incidents.api.views import IncidentViewSet

router = SimpleRouter()
router.register("incidents", IncidentViewSet, basename="incident")
router.register(
    r"incidents/(?P<incident_pk>[0-9]+)/systems", IncidentSystemViewSet, basename="incident-system"
)
router.register(
    r"incidents/(?P<incident_pk>[0-9]+)/tasks", IncidentTaskViewSet, basename="incident-task"
)
router.register(
    r"incidents/(?P<incident_pk>[0-9]+)/timeline",
    IncidentTimelineViewSet,
    basename="incident-timeline",
)
router.register(
    r"incidents/(?P<incident_pk>[0-9]+)/crew", IncidentCrewViewSet, basename="incident-crew"
)

urlpatterns = router.urls
