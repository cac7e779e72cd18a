"""Evidence endpoints (CONTRACT.md, REST API): push into an incident, list, read, custody
log, download. Everything goes through the need-to-know gate: out of sight is 404."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from accounts.api.pagination import KeysetPagination
from accounts.api.permissions import TokenHasScope
from accounts.scopes import Scope
from core.api import PayloadTooLarge
from evidence import release, selectors, services
from evidence.api.serializers import (
    CustodyEventSerializer,
    EvidenceSerializer,
    EvidenceUploadSerializer,
)
from evidence.downloads import ZIP_FORMAT, evidence_download_response
from evidence.exports import package_response
from evidence.models import EvidenceItem
from evidence.uploads import install_upload_handler
from incidents.selectors import incident_get

READ_SCOPES = {"GET": Scope.EVIDENCE_READ, "HEAD": Scope.EVIDENCE_READ}


class Gone(exceptions.APIException):
    status_code = status.HTTP_410_GONE
    default_detail = "The bytes of this evidence were disposed of; its record remains."
    default_code = "disposed"


class ZipFormatRenderer(JSONRenderer):
    """Lets `?format=zip` through DRF's format negotiation on the download action (the
    answer is a FileResponse; only errors are rendered, as JSON)."""

    format = ZIP_FORMAT


class CustodyPagination(KeysetPagination):
    ordering = "id"  # oldest first


INCIDENT_PARAMETER = OpenApiParameter(
    "incident_pk", OpenApiTypes.INT, OpenApiParameter.PATH, description="The incident's id."
)


@extend_schema_view(
    list=extend_schema(
        description="The incident's evidence items, newest first.",
        parameters=[INCIDENT_PARAMETER],
    ),
    create=extend_schema(
        description=(
            "Push a file into the incident as evidence (multipart, streamed to disk). "
            "201 with its `id`, `status`, `receipt_sha256` (computed as the bytes arrived) "
            "and `size`; hashing and verification follow in the background. 413 when the "
            "file is larger than EVIDENCE_MAX_BYTES."
        ),
        parameters=[INCIDENT_PARAMETER],
        request={"multipart/form-data": EvidenceUploadSerializer},
        responses={201: EvidenceSerializer},
    ),
)
class IncidentEvidenceViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Evidence of one incident: list it, or push a file into it."""

    serializer_class = EvidenceSerializer
    permission_classes = [IsAuthenticated, TokenHasScope]
    required_scopes = {**READ_SCOPES, "POST": Scope.EVIDENCE_WRITE}
    parser_classes = [MultiPartParser]
    http_method_names = ["get", "post", "head"]
    upload_handler = None

    @property
    def throttle_scope(self):
        """Uploads have their own rate (DEFAULT_THROTTLE_RATES["uploads"]); lists do not."""
        return "uploads" if self.request is not None and self.request.method == "POST" else None

    def initialize_request(self, request, *args, **kwargs):
        # Before anything reads the body: stream it to disk, hashing on the way.
        if request.method == "POST":
            self.upload_handler = install_upload_handler(request)
        return super().initialize_request(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        if self.upload_handler is not None:
            self.upload_handler.abort()  # whatever did not finish arriving
        return super().finalize_response(request, response, *args, **kwargs)

    def incident(self):
        return incident_get(user=self.request.user, pk=self.kwargs["incident_pk"])

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator
            return EvidenceItem.objects.none()
        return selectors.incident_evidence(user=self.request.user, incident=self.incident())

    def create(self, request, *args, **kwargs):
        incident = self.incident()  # 404 before a single byte is stored
        if not request.user.has_perm("evidence.add_evidenceitem"):
            raise PermissionDenied("You are not allowed to add evidence.")
        data = request.data
        if self.upload_handler.too_large:
            raise PayloadTooLarge("The file is larger than this server accepts as evidence.")
        upload = EvidenceUploadSerializer(data=data)
        upload.is_valid(raise_exception=True)
        fields = upload.validated_data
        item = services.evidence_receive(
            incident=incident,
            actor=request.user,
            uploaded_file=fields["file"],
            kind=fields["kind"],
            description=fields.get("description", ""),
            source_host=fields.get("source_host", ""),
            source_path=fields.get("source_path", ""),
            collected_at=fields.get("collected_at"),
            sender_sha256=fields.get("sha256", ""),
            tlp=fields.get("tlp", ""),
        )
        return Response(EvidenceSerializer(item).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        description=(
            "The incident's evidence package: a zip with every stored item under its "
            "cleaned name in `files/`, `manifest.json` (every field and hash), "
            "`custody.json` (the chain of custody) and `SHA256SUMS` (`sha256sum -c`). "
            "Needs the export permission; writes an `exported` custody event per item."
        ),
        parameters=[INCIDENT_PARAMETER],
        responses={200: OpenApiResponse(OpenApiTypes.BINARY)},
    )
    @action(detail=False, pagination_class=None, filter_backends=[])
    def export(self, request, *args, **kwargs):
        incident = self.incident()
        if not selectors.may_export(request.user):
            raise PermissionDenied("You are not allowed to export evidence.")
        package = release.evidence_export(incident=incident, actor=request.user, channel="api")
        return package_response(package)


@extend_schema_view(
    retrieve=extend_schema(
        description="One evidence item with its hashes; 404 when missing or out of sight."
    ),
)
class EvidenceViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Evidence items, through their incident's need-to-know gate."""

    serializer_class = EvidenceSerializer
    permission_classes = [IsAuthenticated, TokenHasScope]
    required_scopes = READ_SCOPES
    http_method_names = ["get", "head"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator
            return EvidenceItem.objects.none()
        return selectors.visible_evidence(self.request.user)

    @extend_schema(
        description="The item's chain of custody, oldest first.",
        responses=CustodyEventSerializer(many=True),
    )
    @action(detail=True, pagination_class=CustodyPagination)
    def custody(self, request, pk=None):
        item = self.get_object()
        page = self.paginate_queryset(selectors.custody_log(item=item))
        return self.get_paginated_response(CustodyEventSerializer(page, many=True).data)

    @extend_schema(
        description=(
            "The stored bytes, as an attachment (application/octet-stream), or with "
            "`?format=zip` inside an AES-encrypted zip whose password is `infected`. "
            "Writes a `downloaded` custody event. 403 for a role that sees the item's "
            "record and hashes but not its bytes (managers); 410 when the bytes were "
            "disposed of."
        ),
        parameters=[
            OpenApiParameter(
                "format",
                OpenApiTypes.STR,
                enum=[ZIP_FORMAT],
                description="`zip`: an AES-256 encrypted zip, password `infected`.",
            )
        ],
        responses={200: OpenApiResponse(OpenApiTypes.BINARY), 410: None},
    )
    @action(detail=True, renderer_classes=[JSONRenderer, ZipFormatRenderer])
    def download(self, request, pk=None):
        item = self.get_object()
        if not selectors.may_have_bytes(request.user):
            raise PermissionDenied("You may see this item's record and hashes, not its bytes.")
        if item.is_disposed:
            raise Gone()
        download_format = request.query_params.get("format")
        try:
            response = evidence_download_response(item, download_format)
        except ValueError as error:
            raise exceptions.ValidationError({"format": [str(error)]}) from error
        release.evidence_downloaded(
            item=item, actor=request.user, channel="api", download_format=download_format or "raw"
        )
        return response
