"""Pages of incident types (list, define, edit, retire, export, import) and of the
managed tags. Leads write; the role matrix says who reads."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.http import attachment_disposition
from core.permissions import require_permission
from core.views import UNPROCESSABLE, login_required
from incidents import services
from incidents.forms import IncidentTypeForm, IncidentTypeImportForm, TagForm
from incidents.models import IncidentType, Tag
from incidents.typeschema import EXPORT_FORMAT, EXPORT_VERSION

BAD_REQUEST = 400


@login_required
@require_GET
def type_list(request):
    require_permission(request.user, "incidents.view_incidenttype")
    context = {
        "types": IncidentType.objects.all(),
        "may_edit": request.user.has_perm("incidents.change_incidenttype"),
        "may_add": request.user.has_perm("incidents.add_incidenttype"),
        "import_form": IncidentTypeImportForm(),
    }
    return render(request, "incidents/types/list.html", context)


@login_required
@require_GET
def type_detail(request, key):
    require_permission(request.user, "incidents.view_incidenttype")
    incident_type = get_object_or_404(IncidentType, key=key)
    context = {
        "type": incident_type,
        "may_edit": request.user.has_perm("incidents.change_incidenttype"),
    }
    return render(request, "incidents/types/detail.html", context)


def _type_form_page(request, incident_type: IncidentType | None):
    status = 200
    if request.method == "POST":
        form = IncidentTypeForm(request.POST, incident_type=incident_type)
        if form.is_valid():
            retired = incident_type.retired if incident_type else False
            try:
                saved = services.incident_type_save(
                    actor=request.user,
                    document=form.document(retired=retired),
                    incident_type=incident_type,
                )
            except ValidationError as error:
                form.apply_path_errors(error)
            else:
                messages.success(request, f"{saved.name} saved.")
                return redirect("incidents:type_detail", key=saved.key)
        status = UNPROCESSABLE
    else:
        form = IncidentTypeForm(incident_type=incident_type)
    context = {"form": form, "type": incident_type}
    return render(request, "incidents/types/form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def type_new(request):
    require_permission(request.user, "incidents.add_incidenttype")
    return _type_form_page(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def type_edit(request, key):
    require_permission(request.user, "incidents.change_incidenttype")
    return _type_form_page(request, get_object_or_404(IncidentType, key=key))


@login_required
@require_POST
def type_retire(request, key):
    incident_type = get_object_or_404(IncidentType, key=key)
    retired = request.POST.get("retired") != "false"
    services.incident_type_set_retired(
        actor=request.user, incident_type=incident_type, retired=retired
    )
    messages.success(request, f"{incident_type.name} {'retired' if retired else 'offered again'}.")
    return redirect("incidents:type_detail", key=key)


@login_required
@require_GET
def type_export(request):
    """Every type (or `?key=` one) as the JSON file the import takes."""
    require_permission(request.user, "incidents.view_incidenttype")
    types = IncidentType.objects.all()
    if request.GET.get("key"):
        types = types.filter(key=request.GET["key"])
    document = {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "types": [item.to_document() for item in types],
    }
    response = HttpResponse(
        json.dumps(document, indent=2, ensure_ascii=False), content_type="application/json"
    )
    name = f"incident-types-{timezone.now():%Y%m%d}.json"
    response["Content-Disposition"] = attachment_disposition(name)
    return response


@login_required
@require_POST
def type_import(request):
    """Create or replace types from an export file; a bad file is a 400 naming the path."""
    require_permission(request.user, "incidents.add_incidenttype")
    require_permission(request.user, "incidents.change_incidenttype")
    form = IncidentTypeImportForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            outcome = services.incident_types_import(
                actor=request.user, document=form.cleaned_data["file"]
            )
        except ValidationError as error:
            for path, problems in error.message_dict.items():
                for problem in problems:
                    form.add_error("file", f"{path}: {problem}")
        else:
            summary = ", ".join(f"{len(keys)} {what}" for what, keys in outcome.items())
            messages.success(request, f"Types imported: {summary}.")
            return redirect("incidents:types")
    context = {
        "types": IncidentType.objects.all(),
        "may_edit": True,
        "may_add": True,
        "import_form": form,
    }
    return render(request, "incidents/types/list.html", context, status=BAD_REQUEST)


@login_required
@require_http_methods(["GET", "POST"])
def tag_list(request):
    """The managed tags with their colours; leads add, recolour and remove them."""
    require_permission(request.user, "incidents.view_incident")
    may_edit = request.user.has_perm("incidents.add_tag")
    status = 200
    form = TagForm()
    if request.method == "POST":
        if not may_edit:
            raise PermissionDenied("Only leads keep the tag list.")
        form = TagForm(request.POST)
        existing = Tag.objects.filter(name=request.POST.get("name", "")).first()
        if form.is_valid():
            try:
                services.tag_save(actor=request.user, tag=existing, **form.cleaned_data)
            except ValidationError as error:
                for name, problems in error.message_dict.items():
                    for problem in problems:
                        form.add_error(name if name in form.fields else None, problem)
            else:
                messages.success(request, f"Tag {form.cleaned_data['name']} saved.")
                return redirect("incidents:tags")
        status = UNPROCESSABLE
    context = {"tags": Tag.objects.all(), "form": form, "may_edit": may_edit}
    return render(request, "incidents/types/tags.html", context, status=status)


@login_required
@require_POST
def tag_delete(request, pk):
    tag = get_object_or_404(Tag, pk=pk)
    services.tag_delete(actor=request.user, tag=tag)
    messages.success(request, f"Tag {tag.name} is off the list.")
    return redirect("incidents:tags")
