"""The offline proof bundle of one incident (audit/bundle.py): every audit event about
the incident itself and about what belongs to it, down the foreign keys: its evidence
and their custody events, its disclosures with their versions, approvals and
publications, its tasks and their comments, its observables, systems, alerts…"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q

from audit import bundle
from audit.models import AuditEvent, SignedCheckpoint
from incidents.models import Incident

# Incident → evidence item → custody event; incident → disclosure → version → approval.
DEPTH = 3


def _belonging(incident: Incident) -> dict[type[models.Model], list]:
    """Every row that belongs to the incident, by model: those with a foreign key (or a
    one-to-one) to it, then to those, DEPTH levels down."""
    found: dict[type[models.Model], list] = {Incident: [incident.pk]}
    level: dict[type[models.Model], list] = {Incident: [incident.pk]}
    for _ in range(DEPTH):
        below: dict[type[models.Model], list] = {}
        for parent, pks in level.items():
            for relation in parent._meta.related_objects:
                model = relation.related_model
                if relation.many_to_many or model in found or not pks:
                    continue
                rows = model._default_manager.filter(**{f"{relation.field.name}__in": pks})
                below.setdefault(model, []).extend(rows.values_list("pk", flat=True))
        for model, pks in below.items():
            found[model] = sorted(set(pks))
        level = {model: pks for model, pks in below.items() if pks}
    return found


def incident_event_ids(incident: Incident) -> list[int]:
    condition = Q()
    for model, pks in _belonging(incident).items():
        if pks:
            condition |= Q(
                target_type=ContentType.objects.get_for_model(model),
                target_id__in=[str(pk) for pk in pks],
            )
    return list(AuditEvent.objects.filter(condition).values_list("id", flat=True))


def incident_bundle(incident: Incident) -> tuple[bytes, SignedCheckpoint, int]:
    return bundle.build(
        event_ids=incident_event_ids(incident),
        about={"incident": incident.reference, "incident_id": incident.pk},
    )
