"""Alert endpoints (CONTRACT.md, "alerts"): send one or many, list and read them, and
triage one: escalate into a new incident, merge into an existing one, un-merge,
acknowledge, ignore."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts.api.idempotency import HEADER as IDEMPOTENCY_HEADER
from accounts.api.idempotency import IdempotentCreateMixin
from accounts.api.permissions import TokenHasScope, read_write_scopes
from accounts.models import ApiToken
from accounts.scopes import Scope
from core import api
from incidents.selectors import incident_get
from intake import selectors, services
from intake.api.filters import AlertFilter
from intake.api.serializers import (
    AlertIncidentSerializer,
    AlertInputSerializer,
    AlertListInputSerializer,
    AlertSerializer,
    EscalateManySerializer,
    EscalateSerializer,
    IgnoreSerializer,
    MergeSerializer,
    ReasonSerializer,
    ReceivedSerializer,
)
from intake.models import Alert
from intake.services import MAX_ALERTS_PER_REQUEST


def refuse_large_bodies(request) -> None:
    """413 from the Content-Length alone, before the body is read or parsed."""
    api.refuse_large_bodies(
        request,
        settings.INTAKE_MAX_REQUEST_BYTES,
        "The request is larger than this server takes for alerts.",
    )


SEND_REQUEST = {
    "application/json": {
        "oneOf": [
            {"$ref": "#/components/schemas/AlertInputRequest"},
            {
                "type": "array",
                "items": {"$ref": "#/components/schemas/AlertInputRequest"},
                "maxItems": MAX_ALERTS_PER_REQUEST,
            },
        ]
    }
}


def receive(request, rows: list[dict], raws: list, *, via: str):
    """Hand validated rows to the service; the answer for each, and 201 if any is new."""
    items = [AlertInputSerializer().to_input(row, raw) for row, raw in zip(rows, raws, strict=True)]
    received = services.alerts_receive(sender=request.user, items=items, via=via)
    data = [ReceivedSerializer.answer(entry.alert, entry.created) for entry in received]
    code = status.HTTP_201_CREATED if any(e.created for e in received) else status.HTTP_200_OK
    return data, code


def _writes_incidents(request) -> None:
    """Escalating, merging and unmerging change incidents: a token needs incidents:write
    besides alerts:write (a webhook's alerts:write token only sends and triages alerts)."""
    if isinstance(request.auth, ApiToken) and not request.auth.has_scope(Scope.INCIDENTS_WRITE):
        raise exceptions.PermissionDenied(
            f"This token lacks the '{Scope.INCIDENTS_WRITE!s}' scope."
        )


class _SendAlerts:
    """POST one alert (an object) or many (a list); the mixin below honours the
    Idempotency-Key header around it."""

    def create(self, request, *args, **kwargs):
        if not request.user.has_perm("intake.add_alert"):
            raise PermissionDenied("You are not allowed to send alerts.")
        many = isinstance(request.data, list)
        if many:
            if len(request.data) > MAX_ALERTS_PER_REQUEST:
                raise exceptions.ValidationError(
                    {"non_field_errors": [f"At most {MAX_ALERTS_PER_REQUEST} alerts at once."]}
                )
            body = AlertListInputSerializer(data=request.data)
        else:
            body = AlertInputSerializer(data=request.data)
        if not body.is_valid():
            raise exceptions.ValidationError(api.flatten_item_errors(body.errors))
        rows = body.validated_data if many else [body.validated_data]
        raws = request.data if many else [request.data]
        data, code = receive(request, rows, raws, via="api")
        return Response(data if many else data[0], status=code)


@extend_schema_view(
    list=extend_schema(
        description=(
            "The alerts the caller may see, newest first (triagers: all; a reporter: "
            "those it sent)."
        )
    ),
    retrieve=extend_schema(description="One alert; 404 when missing or out of sight."),
    create=extend_schema(
        description=(
            "Send one alert (an object) or up to 500 (a list). The same `source` and "
            "`source_ref` (or, without a reference, the same source, type, title and "
            "observables) is one alert: its `count` and `last_seen` go up and new "
            "observables are added. 201 when any item is new, 200 when all are "
            "duplicates; one answer per item (`id`, `status`, `count`, `created`). One "
            "refused item refuses the request: nothing is written."
        ),
        request=SEND_REQUEST,
        responses={201: ReceivedSerializer(many=True), 200: ReceivedSerializer(many=True)},
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                location=OpenApiParameter.HEADER,
                required=False,
                description="A retry with the same key returns the first answer.",
            )
        ],
    ),
)
class AlertViewSet(
    IdempotentCreateMixin,
    _SendAlerts,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Alerts: send, list, read and triage them."""

    serializer_class = AlertSerializer
    filterset_class = AlertFilter
    permission_classes = [IsAuthenticated, TokenHasScope]
    required_scopes = read_write_scopes(Scope.ALERTS_READ, Scope.ALERTS_WRITE)
    http_method_names = ["get", "post", "head", "options"]

    def initial(self, request, *args, **kwargs):
        refuse_large_bodies(request)
        super().initial(request, *args, **kwargs)

    def get_queryset(self):
        return (
            selectors.visible_alerts(self.request.user)
            .select_related("sender", "incident")
            .prefetch_related("observables")
        )

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["visible_incidents"] = getattr(self, "_visible_incidents", set())
        return context

    def _serialize(self, alerts, *, many: bool):
        self._visible_incidents = selectors.visible_incident_ids(
            user=self.request.user, alerts=alerts
        )
        return self.get_serializer(alerts, many=many).data

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self._serialize(page, many=True))

    def retrieve(self, request, *args, **kwargs):
        return Response(self._serialize([self.get_object()], many=True)[0])

    def _alert(self) -> Alert:
        return self.get_object()

    @extend_schema(
        description=(
            "File one new incident from several alerts (`alerts`: their ids, at most "
            "500, each in sight): the most severe one's severity, every alert's "
            "observables and a timeline entry each. 201 with the incident's `id` and "
            "`reference`."
        ),
        request=EscalateManySerializer,
        responses={201: AlertIncidentSerializer},
        operation_id="alerts_escalate_many",
    )
    @action(detail=False, methods=["post"], url_path="escalate")
    def escalate_many(self, request):
        _writes_incidents(request)
        body = EscalateManySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ids = set(body.validated_data["alerts"])
        alerts = list(self.get_queryset().filter(pk__in=ids))
        if len(alerts) != len(ids):
            raise exceptions.NotFound("No such alert.")
        incident = services.alerts_escalate(
            alerts=alerts, actor=request.user, title=body.validated_data.get("title", "")
        )
        return Response(
            {"id": incident.pk, "reference": incident.reference}, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        description=(
            "File a new incident from the alert (its facts, observables and a timeline "
            "entry): 201 with the incident's `id` and `reference`."
        ),
        request=EscalateSerializer,
        responses={201: AlertIncidentSerializer},
    )
    @action(detail=True, methods=["post"])
    def escalate(self, request, pk=None):
        _writes_incidents(request)
        alert = self._alert()
        body = EscalateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        incident = services.alerts_escalate(
            alerts=[alert], actor=request.user, **body.validated_data
        )
        return Response(
            {"id": incident.pk, "reference": incident.reference}, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        description="The alert joins `incident` (an incident the caller may see): 200.",
        request=MergeSerializer,
        responses={200: AlertSerializer},
    )
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        _writes_incidents(request)
        alert = self._alert()
        body = MergeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        incident = incident_get(user=request.user, pk=body.validated_data["incident"])
        services.alerts_merge(alerts=[alert], incident=incident, actor=request.user)
        return Response(self._serialize([self._alert()], many=True)[0])

    @extend_schema(
        description=(
            "Take a merged alert out of its incident again (it becomes acknowledged); the "
            "observables only it brought leave with it."
        ),
        request=ReasonSerializer,
        responses={200: AlertSerializer},
    )
    @action(detail=True, methods=["post"])
    def unmerge(self, request, pk=None):
        _writes_incidents(request)
        alert = self._alert()
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.alert_unmerge(alert=alert, actor=request.user, **body.validated_data)
        return Response(self._serialize([self._alert()], many=True)[0])

    @extend_schema(request=None, responses={200: AlertSerializer})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        services.alerts_acknowledge(alerts=[self._alert()], actor=request.user)
        return Response(self._serialize([self._alert()], many=True)[0])

    @extend_schema(request=IgnoreSerializer, responses={200: AlertSerializer})
    @action(detail=True, methods=["post"])
    def ignore(self, request, pk=None):
        alert = self._alert()
        body = IgnoreSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.alerts_ignore(alerts=[alert], actor=request.user, **body.validated_data)
        return Response(self._serialize([self._alert()], many=True)[0])
