"""Reads of evidence on someone's behalf: only the evidence of incidents they may see."""

from django.shortcuts import get_object_or_404

from evidence.models import CustodyEvent, EvidenceHold, EvidenceItem
from incidents.models import Incident


def visible_evidence(user):
    """The need-to-know gate for evidence: that of incidents visible to the user."""
    return EvidenceItem.objects.visible_to(user).select_related("incident", "collected_by")


def evidence_get(*, user, pk) -> EvidenceItem:
    """One item the user may see, or 404 (never 403)."""
    return get_object_or_404(visible_evidence(user), pk=pk)


def incident_evidence(*, incident: Incident):
    """The evidence of an incident already fetched through the gate, newest first."""
    return incident.evidence.select_related("collected_by").order_by("-id")


def custody_log(*, item: EvidenceItem):
    """An item's custody events, oldest first."""
    return CustodyEvent.objects.filter(item=item).select_related("actor").order_by("at", "id")


def legal_hold(*, incident: Incident) -> EvidenceHold | None:
    """The incident's legal hold record (on or lifted), or None when there never was one."""
    return EvidenceHold.objects.filter(incident=incident).select_related("changed_by").first()
