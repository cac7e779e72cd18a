"""Incident endpoints: file, list, read, change (CONTRACT.md, REST API)."""

from django.db import transaction
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts.api.idempotency import HEADER as IDEMPOTENCY_HEADER
from accounts.api.idempotency import IdempotentCreateMixin
from accounts.api.permissions import PartialUpdateOnly, TokenHasScope, read_write_scopes
from accounts.scopes import Scope
from incidents import services
from incidents.api.filters import IncidentFilter
from incidents.api.serializers import IncidentSerializer, IncidentUpdateSerializer
from incidents.selectors import tag_facets, visible_incidents


@extend_schema_view(
    list=extend_schema(description="The incidents the caller may see, newest first."),
    retrieve=extend_schema(description="One incident; 404 when it is missing or out of sight."),
    create=extend_schema(
        description="File an incident; it starts in `new`.",
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                location=OpenApiParameter.HEADER,
                required=False,
                description="A retry with the same key returns the first answer.",
            )
        ],
    ),
    partial_update=extend_schema(
        description=(
            "Change the facts, or the `status` one step along the lifecycle (a step back "
            "needs a `reason`); any other status change is 409."
        ),
        request=IncidentUpdateSerializer,
        responses=IncidentSerializer,
    ),
)
class IncidentViewSet(
    PartialUpdateOnly,
    IdempotentCreateMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Incidents, through the need-to-know gate: file, list, read and change them."""

    serializer_class = IncidentSerializer
    filterset_class = IncidentFilter
    permission_classes = [IsAuthenticated, TokenHasScope]
    required_scopes = read_write_scopes(Scope.INCIDENTS_READ, Scope.INCIDENTS_WRITE)
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return visible_incidents(self.request.user).select_related("reporter", "incident_type")

    def perform_create(self, serializer):
        serializer.instance = services.incident_file(
            reporter=self.request.user, **serializer.validated_data
        )

    def partial_update(self, request, *args, **kwargs):
        incident = self.get_object()
        serializer = IncidentUpdateSerializer(incident, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        status = fields.pop("status", None)
        reason = fields.pop("reason", "")
        classification = {
            name: fields.pop(name)
            for name in ("incident_type", "tags", "custom_fields")
            if name in fields
        }
        with transaction.atomic():
            if "incident_type" in classification:
                incident = services.incident_change_type(
                    incident=incident,
                    actor=request.user,
                    incident_type=classification["incident_type"],
                )
            if "tags" in classification:
                incident = services.incident_set_tags(
                    incident=incident, actor=request.user, tags=classification["tags"]
                )
            if "custom_fields" in classification:
                incident = services.incident_set_custom_fields(
                    incident=incident, actor=request.user, values=classification["custom_fields"]
                )
            if fields:
                incident = services.incident_update(incident=incident, actor=request.user, **fields)
            if status is not None and status != incident.status:
                # ReasonRequired (a field error) is 400, IllegalTransition 409: core.api.
                incident = services.incident_change_status(
                    incident=incident, actor=request.user, status=status, reason=reason
                )
        return Response(IncidentSerializer(incident).data)

    @extend_schema(
        description=(
            "The tags of the incidents the caller may see that match the list's filters, "
            "with how many carry each, most used first (at most 30)."
        ),
        responses=inline_serializer(
            "TagFacets",
            {
                "results": inline_serializer(
                    "TagFacet",
                    {"tag": serializers.CharField(), "count": serializers.IntegerField()},
                    many=True,
                )
            },
        ),
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def tags(self, request):
        incidents = self.filter_queryset(self.get_queryset())
        return Response(
            {"results": [{"tag": tag, "count": count} for tag, count in tag_facets(incidents)]}
        )
