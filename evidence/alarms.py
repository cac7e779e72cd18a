"""Acknowledging an integrity failure: the one write behind the home page's alarm card.

Per person (evidence.models.IntegrityAcknowledgement): the failure leaves the card of the
person who acknowledged it, stays on everyone else's, and the item stays an integrity
failure everywhere. Each acknowledgement is an audit event.
"""

from __future__ import annotations

from django.db import transaction

import audit
from core.db import unique_or
from core.errors import IllegalStateChange
from evidence.models import EvidenceItem, IntegrityAcknowledgement, Status
from evidence.services import require_item_in_sight


class NothingToAcknowledge(IllegalStateChange):
    """The item has not failed its integrity check."""


@transaction.atomic
def evidence_integrity_acknowledge(*, item: EvidenceItem, actor) -> IntegrityAcknowledgement:
    """Record that `actor` has seen the item's integrity failure. Asking again changes
    nothing (the first acknowledgement stands, no second audit event)."""
    require_item_in_sight(actor, item)
    if item.status != Status.INTEGRITY_FAILURE:
        raise NothingToAcknowledge(f"Evidence #{item.pk} has not failed its integrity check.")
    existing = IntegrityAcknowledgement.objects.filter(item=item, person=actor).first()
    if existing is not None:
        return existing
    acknowledgement = IntegrityAcknowledgement(item=item, person=actor)
    with unique_or({"item": ["You acknowledged this integrity failure already."]}):
        acknowledgement.save()
    audit.record(
        "evidence.integrity_failure_acknowledged",
        actor=actor,
        target=item,
        data={"incident": item.incident.reference},
    )
    return acknowledgement
