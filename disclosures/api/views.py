"""Disclosure endpoints (CONTRACT.md, REST API): draft and list an incident's
disclosures, read one, and the drafting verbs (new version, submit, withdraw).

Approving and publishing have no endpoint at all: they need a person in the browser
with a fresh second factor, never a token.
"""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts.api.permissions import TokenHasScope
from accounts.scopes import Scope
from disclosures import selectors, services
from disclosures.api.serializers import (
    DisclosureCreateSerializer,
    DisclosureSerializer,
    VersionCreateSerializer,
    VersionSerializer,
    WithdrawSerializer,
)
from disclosures.models import Disclosure
from incidents.selectors import incident_get

READ_AND_DRAFT_SCOPES = {
    "GET": Scope.DISCLOSURES_READ,
    "HEAD": Scope.DISCLOSURES_READ,
    "OPTIONS": Scope.DISCLOSURES_READ,
    "POST": Scope.DISCLOSURES_WRITE,
}


@extend_schema_view(
    list=extend_schema(description="The incident's disclosures the caller may see, newest first."),
    create=extend_schema(
        description="Start a draft whose `body` is prefilled from the incident's facts.",
        request=DisclosureCreateSerializer,
        responses={201: DisclosureSerializer},
    ),
)
class IncidentDisclosureViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Disclosures of one incident, through the incident need-to-know gate (404)."""

    serializer_class = DisclosureSerializer
    permission_classes = [IsAuthenticated, TokenHasScope]
    required_scopes = READ_AND_DRAFT_SCOPES
    http_method_names = ["get", "post", "head", "options"]

    def incident(self):
        return incident_get(user=self.request.user, pk=self.kwargs["incident_pk"])

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no incident
            return Disclosure.objects.none()
        return selectors.disclosure_list(user=self.request.user, incident=self.incident())

    def create(self, request, *args, **kwargs):
        incident = self.incident()
        serializer = DisclosureCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        disclosure = services.disclosure_create(
            incident=incident, actor=request.user, **serializer.validated_data
        )
        disclosure = selectors.disclosure_get(user=request.user, pk=disclosure.pk)
        return Response(DisclosureSerializer(disclosure).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(description="Every disclosure the caller may see, newest first."),
    retrieve=extend_schema(description="One disclosure; 404 when missing or out of sight."),
)
class DisclosureViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Disclosures through the need-to-know gate, and the verbs of drafting."""

    serializer_class = DisclosureSerializer
    permission_classes = [IsAuthenticated, TokenHasScope]
    required_scopes = READ_AND_DRAFT_SCOPES
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        return selectors.disclosure_list(user=self.request.user)

    def _fresh(self, disclosure):
        return DisclosureSerializer(
            selectors.disclosure_get(user=self.request.user, pk=disclosure.pk)
        ).data

    @extend_schema(
        methods=["GET"], description="Every version, oldest first.", responses=VersionSerializer
    )
    @extend_schema(
        methods=["POST"],
        description=(
            "Write a new version. After submission or approval the disclosure returns to "
            "`draft` and its approvals are voided; a published or withdrawn one is 409."
        ),
        request=VersionCreateSerializer,
        responses={201: DisclosureSerializer},
    )
    @action(detail=True, methods=["get", "post"])
    def versions(self, request, pk=None):
        disclosure = self.get_object()
        if request.method == "GET":
            page = self.paginate_queryset(selectors.versions_of(disclosure).order_by("-id"))
            return self.get_paginated_response(VersionSerializer(page, many=True).data)
        serializer = VersionCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.disclosure_edit(
            disclosure=disclosure, actor=request.user, **serializer.validated_data
        )
        return Response(self._fresh(disclosure), status=status.HTTP_201_CREATED)

    @extend_schema(
        description="Send the draft for approval (`draft` → `in_review`); otherwise 409.",
        request=None,
        responses=DisclosureSerializer,
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        disclosure = self.get_object()
        services.disclosure_submit(disclosure=disclosure, actor=request.user)
        return Response(self._fresh(disclosure))

    @extend_schema(
        description="Abandon a disclosure that has not been published; otherwise 409.",
        request=WithdrawSerializer,
        responses=DisclosureSerializer,
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        disclosure = self.get_object()
        serializer = WithdrawSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.disclosure_withdraw(
            disclosure=disclosure, actor=request.user, **serializer.validated_data
        )
        return Response(self._fresh(disclosure))
