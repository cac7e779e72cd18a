"""The offline proof bundle of one incident (audit/bundle.py): every audit event about
the incident itself and about the objects that belong to it (its evidence, disclosures,
observables, systems...: every model with an `incident` foreign key)."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q

from audit import bundle
from audit.models import AuditEvent, SignedCheckpoint
from incidents.models import Incident


def incident_event_ids(incident: Incident) -> list[int]:
    condition = Q(
        target_type=ContentType.objects.get_for_model(Incident), target_id=str(incident.pk)
    )
    for relation in Incident._meta.related_objects:
        if relation.one_to_many and relation.field.name == "incident":
            model = relation.related_model
            ids = [
                str(pk)
                for pk in model._default_manager.filter(incident=incident).values_list(
                    "pk", flat=True
                )
            ]
            if ids:
                condition |= Q(
                    target_type=ContentType.objects.get_for_model(model), target_id__in=ids
                )
    return list(AuditEvent.objects.filter(condition).values_list("id", flat=True))


def incident_bundle(incident: Incident) -> tuple[bytes, SignedCheckpoint, int]:
    return bundle.build(
        event_ids=incident_event_ids(incident),
        about={"incident": incident.reference, "incident_id": incident.pk},
    )
