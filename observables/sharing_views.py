"""Sharing in the browser, from the incident page's Observables section: download the
observables as STIX, MISP or CSV (audited; TLP:RED only for the crew and leads), and
import a STIX bundle or MISP event file."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseBadRequest
from django.views.decorators.http import require_GET, require_POST

from core.fetch_metadata import require_same_origin_for_get
from core.views import UNPROCESSABLE, is_htmx, login_required
from incidents.selectors import incident_get
from observables import forms
from observables.api.sharing import export_response
from observables.sharing.services import (
    MAX_IMPORT_BYTES,
    ExportFormat,
    ImportRefused,
    observables_export,
    observables_import,
)
from observables.views import answer


@require_same_origin_for_get
@login_required
@require_GET
def export(request, incident_pk):
    incident = incident_get(user=request.user, pk=incident_pk)
    if not request.user.has_perm("observables.view_observable"):
        raise PermissionDenied("You are not allowed to export observables.")
    fmt = request.GET.get("format", "")
    if fmt not in ExportFormat.ALL:
        return HttpResponseBadRequest(
            f"format: choose one of {', '.join(ExportFormat.ALL)}.",
            content_type="text/plain; charset=utf-8",
        )
    exported = observables_export(incident=incident, actor=request.user, format=fmt)
    if exported.withheld_red and not is_htmx(request):
        messages.info(request, f"{exported.withheld_red} TLP:RED observables were left out.")
    return export_response(exported)


@login_required
@require_POST
def import_file(request, incident_pk):
    incident = incident_get(user=request.user, pk=incident_pk)
    if not request.user.has_perm("observables.add_observable"):
        raise PermissionDenied("You are not allowed to add observables.")
    form = forms.ImportForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > MAX_IMPORT_BYTES:
                raise ImportRefused(f"The file is larger than {MAX_IMPORT_BYTES // 1024**2} MB.")
            result = observables_import(
                incident=incident, actor=request.user, content=upload.read()
            )
        except (ImportRefused, ValidationError) as error:
            text = error.messages if isinstance(error, ValidationError) else [str(error)]
            for message in text:
                form.add_error("file", message)
        else:
            updated = sum(entry.updated for entry in result.added)
            notice = (
                f"Imported from {result.format.upper()}: {result.created} added, "
                f"{updated} updated, {len(result.skipped)} skipped."
            )
            return answer(request, incident, notice=notice)
    return answer(request, incident, state={"import_form": form}, status=UNPROCESSABLE)
