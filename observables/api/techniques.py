"""ATT&CK techniques of an incident over the API: `GET`/`POST
/incidents/<id>/techniques/` (`technique_id`, e.g. T1566.001, from the offline
catalogue; anything else is a 400), `DELETE /incidents/<id>/techniques/<pk>/`, and
`GET /attack/techniques/?q=…` to search the catalogue. Scopes: observables:read/write."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.permissions import TokenHasScope, read_write_scopes
from accounts.api.serializers import StrictFieldsMixin
from accounts.scopes import Scope
from incidents.selectors import incident_get
from observables import attack, selectors, services
from observables.api.views import INCIDENT_PARAMETER
from observables.models import IncidentTechnique


class IncidentTechniqueSerializer(serializers.ModelSerializer):
    url = serializers.CharField(read_only=True, help_text="The technique's ATT&CK page.")
    added_by = serializers.CharField(source="added_by.username", read_only=True)

    class Meta:
        model = IncidentTechnique
        fields = ["id", "technique_id", "name", "url", "added_by", "added_at"]
        read_only_fields = fields


class TechniqueAddSerializer(StrictFieldsMixin, serializers.Serializer):
    technique_id = serializers.CharField(max_length=16, help_text="An ATT&CK id: T1566.001.")


class CatalogueTechniqueSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    tactics = serializers.ListField(child=serializers.CharField())
    url = serializers.CharField()


SCOPES = read_write_scopes(Scope.OBSERVABLES_READ, Scope.OBSERVABLES_WRITE)


@extend_schema_view(
    list=extend_schema(parameters=[INCIDENT_PARAMETER]),
    create=extend_schema(
        parameters=[INCIDENT_PARAMETER],
        request=TechniqueAddSerializer,
        responses={201: IncidentTechniqueSerializer, 200: IncidentTechniqueSerializer},
        description="Add a technique of the offline ATT&CK catalogue; an unknown id is a 400.",
    ),
    destroy=extend_schema(parameters=[INCIDENT_PARAMETER]),
)
class IncidentTechniqueViewSet(
    mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """The ATT&CK techniques an incident shows."""

    serializer_class = IncidentTechniqueSerializer
    permission_classes = [IsAuthenticated, TokenHasScope]
    required_scopes = SCOPES
    http_method_names = ["get", "post", "delete", "head", "options"]
    filter_backends: list = []

    def incident(self):
        if not hasattr(self, "_incident"):
            self._incident = incident_get(user=self.request.user, pk=self.kwargs["incident_pk"])
        return self._incident

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return IncidentTechnique.objects.none()
        return selectors.incident_techniques(
            user=self.request.user, incident=self.incident()
        ).select_related("added_by")

    def create(self, request, *args, **kwargs):
        incident = self.incident()
        if not request.user.has_perm("observables.add_incidenttechnique"):
            raise PermissionDenied("You are not allowed to add ATT&CK techniques.")
        body = TechniqueAddSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        before = IncidentTechnique.objects.filter(incident=incident).count()
        row = services.technique_add(
            incident=incident, actor=request.user, technique_id=body.validated_data["technique_id"]
        )
        created = IncidentTechnique.objects.filter(incident=incident).count() > before
        return Response(
            IncidentTechniqueSerializer(row).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    def destroy(self, request, *args, **kwargs):
        technique = selectors.technique_get(
            user=request.user, incident_pk=self.incident().pk, pk=kwargs["pk"]
        )
        if not request.user.has_perm("observables.delete_incidenttechnique"):
            raise PermissionDenied("You are not allowed to remove ATT&CK techniques.")
        services.technique_remove(technique=technique, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TechniqueCatalogueView(APIView):
    """Search the offline ATT&CK catalogue (pymispgalaxies' mitre-attack-pattern)."""

    permission_classes = [IsAuthenticated, TokenHasScope]
    required_scopes = SCOPES

    @extend_schema(
        operation_id="attack_techniques_search",
        parameters=[OpenApiParameter("q", OpenApiTypes.STR, required=True)],
        responses={200: CatalogueTechniqueSerializer(many=True)},
    )
    def get(self, request):
        hits = attack.technique_search(request.query_params.get("q", "")[:100])
        data = [
            {"id": hit.id, "name": hit.name, "tactics": list(hit.tactics), "url": hit.url}
            for hit in hits
        ]
        return Response(CatalogueTechniqueSerializer(data, many=True).data)
