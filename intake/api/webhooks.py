"""`POST /api/v1/alerts/webhooks/<adapter>/`: the bodies Alertmanager, Elastic Security
and Wazuh send (intake.adapters), with a token that holds `alerts:write` and nothing
else. Give each tool a token of its own (`issue_token USER --scope alerts:write`), so
that one can be revoked without the others and a leaked tool configuration can read
nothing."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework import exceptions, permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import ApiToken
from accounts.scopes import Scope
from intake import services
from intake.adapters import ADAPTERS
from intake.api.serializers import ReceivedSerializer
from intake.api.views import refuse_large_bodies


class AlertsWriteOnlyToken(permissions.BasePermission):
    """Allows only a bearer token whose sole scope is `alerts:write`."""

    message = "Webhooks take a token whose only scope is 'alerts:write'."

    def has_permission(self, request, view):
        token = request.auth
        return isinstance(token, ApiToken) and list(token.scopes) == [Scope.ALERTS_WRITE]


class AlertWebhookView(APIView):
    permission_classes = [permissions.IsAuthenticated, AlertsWriteOnlyToken]
    http_method_names = ["post", "options"]

    def initial(self, request, *args, **kwargs):
        refuse_large_bodies(request)
        super().initial(request, *args, **kwargs)

    @extend_schema(
        description=(
            "Alerts in the body a monitoring tool sends: `alertmanager` (Prometheus "
            "Alertmanager webhook), `elastic` (Elastic Security Webhook connector), `wazuh` "
            "(Wazuh integration JSON, one alert or a list). Deduplicated like any alert; "
            "201 when any is new, 200 otherwise, with one answer per alert."
        ),
        parameters=[
            OpenApiParameter(
                "adapter", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(ADAPTERS)
            )
        ],
        request=OpenApiTypes.OBJECT,
        responses={201: ReceivedSerializer(many=True), 200: ReceivedSerializer(many=True)},
    )
    def post(self, request, adapter: str):
        convert = ADAPTERS.get(adapter)
        if convert is None:
            raise Http404("No such adapter.")
        if not request.user.has_perm("intake.add_alert"):
            raise exceptions.PermissionDenied("You are not allowed to send alerts.")
        try:
            items = convert(request.data)
        except ValidationError as error:
            raise exceptions.ValidationError(error.message_dict) from error
        if not items:
            return Response([], status=200)
        received = services.alerts_receive(sender=request.user, items=items, via=adapter)
        data = [ReceivedSerializer.answer(entry.alert, entry.created) for entry in received]
        return Response(data, status=201 if any(e.created for e in received) else 200)
