"""Affected systems of an incident: list, add, read and change them (their facts, the end
of their impact window, their containment), through the need-to-know gate."""

from django.db import transaction
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts.api.pagination import KeysetPagination
from accounts.api.permissions import PartialUpdateOnly, TokenHasScope, read_write_scopes
from accounts.api.serializers import StrictFieldsMixin
from accounts.scopes import Scope
from incidents import services
from incidents.models import AffectedSystem, ContainmentState
from incidents.selectors import incident_get

EDITABLE = ("name", "kind", "owner", "impact_start", "impact_end")


class OldestFirst(KeysetPagination):
    ordering = "id"


class SystemSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    class Meta:
        model = AffectedSystem
        fields: tuple[str, ...] = ("id", *EDITABLE, "containment_state", "created_at")
        read_only_fields: tuple[str, ...] = ("id", "containment_state", "created_at")


class SystemUpdateSerializer(SystemSerializer):
    """PATCH body: any of the facts, and `containment_state` (with an optional `note`)."""

    containment_state = serializers.ChoiceField(choices=ContainmentState.choices, required=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)

    class Meta(SystemSerializer.Meta):
        fields = (*SystemSerializer.Meta.fields, "note")
        read_only_fields = ("id", "created_at")


@extend_schema_view(
    list=extend_schema(description="The incident's affected systems, oldest first."),
    create=extend_schema(description="Record a system the incident hit."),
    retrieve=extend_schema(description="One affected system."),
    partial_update=extend_schema(
        description=(
            "Change a system's facts (the end of its impact window, most often) or its "
            "containment state; each change is on the incident's audit trail."
        ),
        request=SystemUpdateSerializer,
        responses=SystemSerializer,
    ),
)
class IncidentSystemViewSet(
    PartialUpdateOnly,
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Systems of one incident; 404 when the incident is out of sight."""

    serializer_class = SystemSerializer
    permission_classes = [IsAuthenticated, TokenHasScope]
    required_scopes = read_write_scopes(Scope.INCIDENTS_READ, Scope.INCIDENTS_WRITE)
    http_method_names = ["get", "post", "patch", "head", "options"]
    pagination_class = OldestFirst

    def incident(self):
        return incident_get(user=self.request.user, pk=self.kwargs["incident_pk"])

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator
            return AffectedSystem.objects.none()
        return self.incident().systems.all()

    def perform_create(self, serializer):
        serializer.instance = services.system_add(
            incident=self.incident(), actor=self.request.user, **serializer.validated_data
        )

    def partial_update(self, request, *args, **kwargs):
        system = self.get_object()
        serializer = SystemUpdateSerializer(system, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        state = fields.pop("containment_state", None)
        note = fields.pop("note", "")
        changed = {name: value for name, value in fields.items() if getattr(system, name) != value}
        with transaction.atomic():
            if changed:
                system = services.system_update(system=system, actor=request.user, **changed)
            if state is not None:
                system = services.system_change_containment(
                    system=system, actor=request.user, state=state, note=note
                )
        return Response(SystemSerializer(system).data)
