"""/observables/incidents/<id>/extract/: values found in the incident's description,
timeline and text evidence, proposed with their guessed type and any warning list that
knows them; the analyst ticks which to add. Nothing is added without that POST."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

import audit
from core.fetch_metadata import require_same_origin_for_get
from core.views import UNPROCESSABLE, login_required
from incidents.selectors import incident_get
from observables import extraction
from observables.services import MAX_ITEMS_PER_REQUEST, ObservableInput, observables_add
from observables.values import ObservableType, Source

MAX_TICKED_CHARACTERS = 16_384


def _ticked(values: list[str]) -> tuple[list[ObservableInput], list[ObservableInput]]:
    """The ticked proposals as (from text, from evidence); ValidationError if malformed."""
    if not values:
        raise ValidationError({"pick": ["Tick at least one value to add."]})
    if len(values) > MAX_ITEMS_PER_REQUEST:
        raise ValidationError({"pick": [f"At most {MAX_ITEMS_PER_REQUEST} at once."]})
    from_text: list[ObservableInput] = []
    from_evidence: list[ObservableInput] = []
    for raw in values:
        parts = raw.split("\t", 2)
        if len(parts) != 3 or parts[0] not in ObservableType.values:
            raise ValidationError({"pick": ["A ticked value was not one of those proposed."]})
        if len(parts[2]) > MAX_TICKED_CHARACTERS or (parts[1] and not parts[1].isdigit()):
            raise ValidationError({"pick": ["A ticked value was not one of those proposed."]})
        evidence_id = int(parts[1]) if parts[1] else None
        item = ObservableInput(type=parts[0], value=parts[2], evidence_id=evidence_id)
        (from_evidence if evidence_id else from_text).append(item)
    return from_text, from_evidence


def _page(request, incident, *, errors=None, status=200):
    sources = extraction.text_sources(user=request.user, incident=incident)
    proposals = extraction.propose(user=request.user, incident=incident, sources=sources)
    evidence_read = [source.evidence.pk for source in sources if source.evidence]
    if evidence_read:
        with transaction.atomic():
            audit.record(
                "observables.extraction_read_evidence",
                actor=request.user,
                target=incident,
                data={"incident": incident.reference, "evidence": evidence_read},
            )
    context = {
        "incident": incident,
        "proposals": proposals,
        "sources": [source.label for source in sources],
        "errors": errors or [],
        "read_bytes": extraction.EVIDENCE_READ_BYTES,
    }
    return render(request, "observables/extract.html", context, status=status)


@require_same_origin_for_get
@login_required
@require_http_methods(["GET", "POST"])
def extract(request, incident_pk):
    incident = incident_get(user=request.user, pk=incident_pk)
    if not request.user.has_perm("observables.add_observable"):
        raise PermissionDenied("You are not allowed to add observables.")
    if request.method == "GET":
        return _page(request, incident)
    try:
        from_text, from_evidence = _ticked(request.POST.getlist("pick"))
        with transaction.atomic():
            added = []
            if from_text:
                added += observables_add(
                    incident=incident, actor=request.user, items=from_text, source=Source.EXTRACTED
                )
            if from_evidence:
                added += observables_add(
                    incident=incident,
                    actor=request.user,
                    items=from_evidence,
                    source=Source.EVIDENCE,
                )
    except ValidationError as error:
        return _page(request, incident, errors=error.messages, status=UNPROCESSABLE)
    created = sum(entry.created for entry in added)
    messages.success(
        request, f"{created} observables added, {len(added) - created} already there (updated)."
    )
    return redirect(reverse("incidents:detail", args=[incident.pk]) + "#section-observables")
