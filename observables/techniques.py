"""The ATT&CK techniques part of an incident page: what it shows and offers (the list,
a search of the offline catalogue, add and remove), for the template tag and for its
own htmx answers."""

from __future__ import annotations

from django.template.loader import render_to_string

from observables import attack, selectors

QUERY_PARAMETER = "technique_q"
MAX_QUERY_LENGTH = 100


def techniques_context(request, incident, *, error: str | None = None) -> dict:
    user = request.user
    query = request.GET.get(QUERY_PARAMETER, "")[:MAX_QUERY_LENGTH].strip()
    techniques = list(selectors.incident_techniques(user=user, incident=incident))
    shown = {technique.technique_id for technique in techniques}
    results = [hit for hit in attack.technique_search(query) if hit.id not in shown]
    return {
        "incident": incident,
        "techniques": techniques,
        "can_read": user.has_perm("observables.view_incidenttechnique"),
        "can_add": user.has_perm("observables.add_incidenttechnique"),
        "can_delete": user.has_perm("observables.delete_incidenttechnique"),
        "query": query,
        "results": results,
        "error": error,
        "request": request,
    }


def render_techniques(request, incident, *, error: str | None = None) -> str:
    return render_to_string(
        "observables/partials/incident_techniques.html",
        techniques_context(request, incident, error=error),
        request=request,
    )
