"""Observable endpoints (CONTRACT.md, "Observables"): add one or many to an incident,
list an incident's (each with the other visible incidents holding it), change and
delete one, and look a value up across every incident the caller may see."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts.api.permissions import TokenHasScope, read_write_scopes
from accounts.scopes import Scope
from core.api import flatten_item_errors, refuse_large_bodies
from core.marking import TLP
from incidents.selectors import incident_get
from observables import selectors, services
from observables.api.serializers import (
    AddedSerializer,
    IncidentObservableSerializer,
    LookupResultSerializer,
    ObservableDeleteSerializer,
    ObservableInputSerializer,
    ObservableListInputSerializer,
    ObservableUpdateSerializer,
)
from observables.models import Observable, Source
from observables.services import MAX_ITEMS_PER_REQUEST
from observables.values import ObservableType

OBSERVABLES_TOO_LARGE = "The request is larger than this server takes for observables."


INCIDENT_PARAMETER = OpenApiParameter(
    "incident_pk", OpenApiTypes.INT, OpenApiParameter.PATH, description="The incident's id."
)
FILTERS = [
    OpenApiParameter("type", OpenApiTypes.STR, enum=ObservableType.values),
    OpenApiParameter(
        "tlp", OpenApiTypes.STR, enum=["clear", "green", "amber", "amber+strict", "red"]
    ),
    OpenApiParameter("is_ioc", OpenApiTypes.BOOL),
]
ADD_REQUEST = {
    "application/json": {
        "oneOf": [
            {"$ref": "#/components/schemas/ObservableInputRequest"},
            {
                "type": "array",
                "items": {"$ref": "#/components/schemas/ObservableInputRequest"},
                "maxItems": MAX_ITEMS_PER_REQUEST,
            },
        ]
    }
}


class FilterForm(serializers.Serializer):
    type = serializers.ChoiceField(choices=ObservableType.choices, required=False)
    tlp = serializers.ChoiceField(choices=TLP.choices, required=False)
    is_ioc = serializers.BooleanField(required=False, allow_null=True, default=None)


@extend_schema_view(
    list=extend_schema(
        description=(
            "The incident's observables, newest first. Each has `related`: the other "
            "incidents the caller may see that hold the same type and normalised value "
            "(`id`, `reference`; at most 20, newest first) and `related_count`. Values "
            "marked ignore-for-correlation have none."
        ),
        parameters=[INCIDENT_PARAMETER, *FILTERS],
    ),
    retrieve=extend_schema(parameters=[INCIDENT_PARAMETER]),
    partial_update=extend_schema(
        parameters=[INCIDENT_PARAMETER],
        request=ObservableUpdateSerializer,
        responses=IncidentObservableSerializer,
    ),
    destroy=extend_schema(
        description="Delete the observable; the body's `reason` is kept in the audit log.",
        parameters=[INCIDENT_PARAMETER],
        request=ObservableDeleteSerializer,
        responses={204: None},
    ),
)
class IncidentObservableViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Observables of one incident, through the need-to-know gate."""

    serializer_class = IncidentObservableSerializer
    permission_classes = [IsAuthenticated, TokenHasScope]
    required_scopes = read_write_scopes(Scope.OBSERVABLES_READ, Scope.OBSERVABLES_WRITE)
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    filter_backends: list = []

    def initial(self, request, *args, **kwargs):
        refuse_large_bodies(request, settings.OBSERVABLES_MAX_REQUEST_BYTES, OBSERVABLES_TOO_LARGE)
        super().initial(request, *args, **kwargs)

    def incident(self):
        if not hasattr(self, "_incident"):
            self._incident = incident_get(user=self.request.user, pk=self.kwargs["incident_pk"])
        return self._incident

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator
            return Observable.objects.none()
        filters = FilterForm(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return selectors.incident_observables(
            user=self.request.user, incident=self.incident(), **filters.validated_data
        ).select_related("incident", "created_by")

    def get_object(self):
        observable = get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, observable)
        return observable

    def _answer(self, observables, *, status_code=status.HTTP_200_OK, many=True):
        related = selectors.related_incidents(
            user=self.request.user, incident=self.incident(), observables=observables
        )
        serializer = IncidentObservableSerializer(
            observables, many=many, context={"related": related}
        )
        return serializer.data

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self._answer(page))

    def retrieve(self, request, *args, **kwargs):
        observable = self.get_object()
        return Response(self._answer([observable])[0])

    @extend_schema(
        description=(
            "Add one observable (an object) or up to 1,000 (a list). A value the incident "
            "already holds (same type and normalised value) is updated, not duplicated. "
            "201 with the items, each with `created`; 200 when every one existed already. "
            "One refused item refuses the request: nothing is written."
        ),
        parameters=[INCIDENT_PARAMETER],
        request=ADD_REQUEST,
        responses={201: AddedSerializer(many=True), 200: AddedSerializer(many=True), 413: None},
    )
    def create(self, request, *args, **kwargs):
        incident = self.incident()  # 404 before anything else
        if not request.user.has_perm("observables.add_observable"):
            raise PermissionDenied("You are not allowed to add observables.")
        many = isinstance(request.data, list)
        if many:
            if len(request.data) > MAX_ITEMS_PER_REQUEST:
                raise exceptions.ValidationError(
                    {"non_field_errors": [f"At most {MAX_ITEMS_PER_REQUEST} observables at once."]}
                )
            body = ObservableListInputSerializer(data=request.data)
        else:
            body = ObservableInputSerializer(data=request.data)
        if not body.is_valid():
            raise exceptions.ValidationError(flatten_item_errors(body.errors))
        rows = body.validated_data if many else [body.validated_data]
        items = [ObservableInputSerializer().to_input(row) for row in rows]
        added = services.observables_add(
            incident=incident, actor=request.user, items=items, source=Source.API
        )
        data = [AddedSerializer.answer(entry.observable, entry.created) for entry in added]
        code = (
            status.HTTP_201_CREATED if any(entry.created for entry in added) else status.HTTP_200_OK
        )
        return Response(data if many else data[0], status=code)

    def partial_update(self, request, *args, **kwargs):
        observable = self.get_object()
        body = ObservableUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        observable = services.observable_update(
            observable=observable, actor=request.user, **body.validated_data
        )
        return Response(self._answer([observable])[0])

    def destroy(self, request, *args, **kwargs):
        observable = self.get_object()
        body = ObservableDeleteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.observable_delete(
            observable=observable, actor=request.user, reason=body.validated_data["reason"]
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class LookupQuery(serializers.Serializer):
    value = serializers.CharField(max_length=8192)
    type = serializers.ChoiceField(choices=ObservableType.choices, required=False)


@extend_schema_view(
    list=extend_schema(
        description=(
            "Every observable holding `value` on an incident the caller may see, newest "
            "first, each with its incident (`id`, `reference`, `title`). The value is "
            "normalised first, for `type` or for every type it fits; defanged values "
            "(hxxp, [.]) are accepted."
        ),
        parameters=[
            OpenApiParameter("value", OpenApiTypes.STR, required=True),
            OpenApiParameter("type", OpenApiTypes.STR, enum=ObservableType.values),
        ],
        responses={200: LookupResultSerializer(many=True)},
    ),
)
class ObservableLookupViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Look a value up across every incident in the caller's sight."""

    serializer_class = LookupResultSerializer
    permission_classes = [IsAuthenticated, TokenHasScope]
    required_scopes = read_write_scopes(Scope.OBSERVABLES_READ, Scope.OBSERVABLES_WRITE)
    http_method_names = ["get", "head", "options"]
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Observable.objects.none()
        query = LookupQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.lookup(
            user=self.request.user,
            value=query.validated_data["value"],
            type=query.validated_data.get("type"),
        )
