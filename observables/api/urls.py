from django.urls import path
from rest_framework.routers import SimpleRouter

from observables.api.sharing import IncidentObservableExportView, IncidentObservableImportView
from observables.api.techniques import IncidentTechniqueViewSet, TechniqueCatalogueView
from observables.api.views import IncidentObservableViewSet, ObservableLookupViewSet

router = SimpleRouter()
router.register(
    r"incidents/(?P<incident_pk>[0-9]+)/observables",
    IncidentObservableViewSet,
    basename="incident-observable",
)
router.register("observables", ObservableLookupViewSet, basename="observable")
router.register(
    r"incidents/(?P<incident_pk>[0-9]+)/techniques",
    IncidentTechniqueViewSet,
    basename="incident-technique",
)

# Before the router's: its detail route would take "export" for an observable's id.
urlpatterns = [
    path(
        "incidents/<int:incident_pk>/observables/export/",
        IncidentObservableExportView.as_view(),
        name="incident-observable-export",
    ),
    path(
        "incidents/<int:incident_pk>/observables/import/",
        IncidentObservableImportView.as_view(),
        name="incident-observable-import",
    ),
    path("attack/techniques/", TechniqueCatalogueView.as_view(), name="attack-techniques"),
    *router.urls,
]
