"""The incident page's ATT&CK techniques: search the offline catalogue, add, remove.
With htmx the answer is the part again; without it, a redirect to the incident page."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST

from core.views import HTMX_HEADER, UNPROCESSABLE, is_htmx, login_required
from incidents.selectors import incident_get
from observables import selectors, services
from observables.techniques import QUERY_PARAMETER, render_techniques


def _page_url(incident, query: str = "") -> str:
    suffix = "?" + urlencode({QUERY_PARAMETER: query}) if query else ""
    return reverse("incidents:detail", args=[incident.pk]) + suffix + "#section-techniques"


def _answer(request, incident, *, error=None, notice=None):
    if is_htmx(request):
        status = UNPROCESSABLE if error else 200
        response = HttpResponse(render_techniques(request, incident, error=error), status=status)
        patch_vary_headers(response, [HTMX_HEADER])
        return response
    if error:
        messages.error(request, error)
    elif notice:
        messages.success(request, notice)
    return redirect(_page_url(incident))


@login_required
@require_GET
def techniques(request, incident_pk):
    incident = incident_get(user=request.user, pk=incident_pk)
    if not is_htmx(request):
        return redirect(_page_url(incident, request.GET.get(QUERY_PARAMETER, "")))
    return _answer(request, incident)


@login_required
@require_POST
def technique_add(request, incident_pk):
    incident = incident_get(user=request.user, pk=incident_pk)
    if not request.user.has_perm("observables.add_incidenttechnique"):
        raise PermissionDenied("You are not allowed to add ATT&CK techniques.")
    try:
        row = services.technique_add(
            incident=incident, actor=request.user, technique_id=request.POST.get("technique_id", "")
        )
    except ValidationError as error:
        return _answer(request, incident, error=" ".join(error.messages))
    return _answer(request, incident, notice=f"{row.technique_id} {row.name} was added.")


@login_required
@require_POST
def technique_remove(request, pk):
    technique = selectors.technique_by_pk(user=request.user, pk=pk)
    if not request.user.has_perm("observables.delete_incidenttechnique"):
        raise PermissionDenied("You are not allowed to remove ATT&CK techniques.")
    services.technique_remove(technique=technique, actor=request.user)
    return _answer(request, technique.incident, notice=f"{technique.technique_id} was removed.")
