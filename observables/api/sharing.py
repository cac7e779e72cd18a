"""Sharing endpoints: `GET /incidents/<id>/observables/export/?format=stix|misp|csv`
(CONTRACT.md) and `POST /incidents/<id>/observables/import/` (a STIX 2.1 bundle or a
MISP event, as the JSON body or as a multipart `file`).

`format` is this API's own query parameter here, not DRF's renderer override: the
export answers with the file itself, whatever renderers the API has.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.settings import APISettings
from rest_framework.views import APIView

from accounts.api.permissions import TokenHasScope, read_write_scopes
from accounts.scopes import Scope
from core.api import refuse_large_bodies
from core.http import attachment_disposition
from incidents.selectors import incident_get
from observables.api.views import INCIDENT_PARAMETER, OBSERVABLES_TOO_LARGE
from observables.sharing.services import (
    MAX_IMPORT_BYTES,
    ExportFormat,
    ImportRefused,
    observables_export,
    observables_import,
)


class IgnoreFormatParameter(DefaultContentNegotiation):
    """Content negotiation that leaves `?format=` to the view (it names the file's format)."""

    settings = APISettings(user_settings={"URL_FORMAT_OVERRIDE": None})  # type: ignore[arg-type,assignment]


class ExportQuery(serializers.Serializer):
    format = serializers.ChoiceField(choices=ExportFormat.ALL)


def export_response(exported) -> HttpResponse:
    """The file as a download, stating its highest marking and its hash in headers too."""
    response = HttpResponse(exported.content, content_type=exported.content_type)
    response["Content-Disposition"] = attachment_disposition(exported.filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["X-TLP"] = exported.highest_tlp
    response["X-Observables-Count"] = str(exported.count)
    response["X-Observables-Withheld"] = str(exported.withheld_red)
    response["Digest"] = f"sha-256={exported.sha256}"
    return response


class IncidentObservableExportView(APIView):
    """An incident's observables as a file to share."""

    permission_classes = [IsAuthenticated, TokenHasScope]
    required_scopes = read_write_scopes(Scope.OBSERVABLES_READ, Scope.OBSERVABLES_WRITE)
    content_negotiation_class = IgnoreFormatParameter

    @extend_schema(
        operation_id="incidents_observables_export",
        description=(
            "The incident's observables as a STIX 2.1 bundle (`stix`), a MISP event "
            "(`misp`) or CSV (`csv`). Observables marked TLP:RED are left out unless the "
            "caller is of the incident's crew or a lead (`X-Observables-Withheld` counts "
            "them). `X-TLP` states the highest marking in the file; the export is recorded "
            "in the audit log with the file's SHA-256."
        ),
        parameters=[
            INCIDENT_PARAMETER,
            OpenApiParameter("format", OpenApiTypes.STR, enum=list(ExportFormat.ALL)),
        ],
        responses={200: OpenApiResponse(OpenApiTypes.BINARY, description="The file.")},
    )
    def get(self, request, incident_pk):
        incident = incident_get(user=request.user, pk=incident_pk)
        if not request.user.has_perm("observables.view_observable"):
            raise PermissionDenied("You are not allowed to export observables.")
        query = ExportQuery(data={"format": request.query_params.get("format", "stix")})
        query.is_valid(raise_exception=True)
        exported = observables_export(
            incident=incident, actor=request.user, format=query.validated_data["format"]
        )
        return export_response(exported)


class ImportUpload(serializers.Serializer):
    file = serializers.FileField(help_text="A STIX 2.1 bundle or a MISP event (JSON).")
    format = serializers.ChoiceField(choices=[ExportFormat.STIX, ExportFormat.MISP], required=False)


class IncidentObservableImportView(APIView):
    """Observables of a STIX bundle or MISP event added to an incident."""

    permission_classes = [IsAuthenticated, TokenHasScope]
    required_scopes = read_write_scopes(Scope.OBSERVABLES_READ, Scope.OBSERVABLES_WRITE)
    parser_classes = [JSONParser, MultiPartParser]

    def initial(self, request, *args, **kwargs):
        refuse_large_bodies(request, MAX_IMPORT_BYTES + 64 * 1024, OBSERVABLES_TOO_LARGE)
        super().initial(request, *args, **kwargs)

    @extend_schema(
        operation_id="incidents_observables_import",
        description=(
            "Add the observables of a STIX 2.1 bundle or a MISP event (the JSON body, or a "
            "multipart `file`) to the incident, with source `imported`. Values it already "
            "holds are updated. Content that is not JSON, not a valid bundle or event, has "
            "unknown object or attribute types or a broken pattern is a 400 that writes "
            "nothing. 201 with `format`, `created`, `updated`, `skipped` (what was not kept)."
        ),
        parameters=[INCIDENT_PARAMETER],
        request={
            "application/json": OpenApiTypes.OBJECT,
            "multipart/form-data": ImportUpload,
        },
        responses={201: OpenApiTypes.OBJECT, 200: OpenApiTypes.OBJECT, 413: None},
    )
    def post(self, request, incident_pk):
        incident = incident_get(user=request.user, pk=incident_pk)
        if not request.user.has_perm("observables.add_observable"):
            raise PermissionDenied("You are not allowed to add observables.")
        if request.content_type.startswith("multipart/"):
            upload = ImportUpload(data=request.data)
            upload.is_valid(raise_exception=True)
            file = upload.validated_data["file"]
            if file.size > MAX_IMPORT_BYTES:
                raise exceptions.ValidationError(
                    {"file": [f"The file is larger than {MAX_IMPORT_BYTES // 1024**2} MB."]}
                )
            content, fmt, field = file.read(), upload.validated_data.get("format"), "file"
        else:
            content, fmt, field = request.data, None, "non_field_errors"
        try:
            result = observables_import(
                incident=incident, actor=request.user, content=content, format=fmt
            )
        except ImportRefused as error:
            raise exceptions.ValidationError({field: [str(error)]}) from error
        created = result.created
        body = {
            "format": result.format,
            "received": len(result.added),
            "created": created,
            "updated": sum(entry.updated for entry in result.added),
            "skipped": result.skipped[:100],
            "ids": [entry.observable.pk for entry in result.added],
        }
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
