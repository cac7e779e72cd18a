"""`{% load evidence %}{% incident_evidence incident %}`: the evidence section of an
incident page. The incident page includes it by template name only, so the incidents
app stays unaware of evidence in Python (DESIGN.md, dependencies point one way)."""

from django import template

from accounts.twofactor import ready_action
from evidence import selectors
from evidence.forms import EvidenceUploadForm

register = template.Library()


@register.inclusion_tag("evidence/partials/incident_evidence_section.html", takes_context=True)
def incident_evidence(context, incident):
    # The incident came through the need-to-know gate to be on this page at all; its
    # items are those this person may see (reporters: their own uploads).
    request = context["request"]
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "incident": incident,
        "items": selectors.incident_evidence(user=request.user, incident=incident),
        "may_upload": request.user.has_perm("evidence.add_evidenceitem"),
        "may_export": selectors.may_export(request.user),
        "may_hold": request.user.has_perm("evidence.manage_legal_hold"),
        "hold": selectors.legal_hold(incident=incident),
        "form": EvidenceUploadForm(),
        "ready": ready_action(request),
    }
