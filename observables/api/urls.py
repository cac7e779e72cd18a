from rest_framework.routers import SimpleRouter

from observables.api.views import IncidentObservableViewSet, ObservableLookupViewSet

router = SimpleRouter()
router.register(
    r"incidents/(?P<incident_pk>[0-9]+)/observables",
    IncidentObservableViewSet,
    basename="incident-observable",
)
router.register("observables", ObservableLookupViewSet, basename="observable")

urlpatterns = router.urls
