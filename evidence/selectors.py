"""Reads of evidence on someone's behalf, and the one rule of who sees which item and
who may have its bytes. HTML views, the API, exports, the incident page, the report
and the services all ask here.

- An item is in sight of those who see its incident (need-to-know, visible_incidents)
  and hold `evidence.view_evidenceitem` (the CSIRT roles). Without it (reporters), a
  person sees only the items they uploaded themselves. Out of sight is 404.
- Seeing an item means its record, hashes and chain of custody. Its bytes (download,
  screenshot preview, the files of an export) also need `evidence.download_evidence`:
  managers see the metadata and hashes of what they approve disclosures about, never
  the bytes. Seen but not allowed is 403.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from core.marking import TLP
from evidence.models import CustodyEvent, EvidenceHold, EvidenceItem
from incidents.models import Incident
from incidents.selectors import may_receive_red, visible_incidents

SEE_EVERY_ITEM = "evidence.view_evidenceitem"
HAVE_THE_BYTES = "evidence.download_evidence"


def visible_evidence(user):
    """The items the user may see: of incidents in their sight, and only their own
    uploads unless they may see every item of those incidents."""
    items = EvidenceItem.objects.filter(incident__in=visible_incidents(user))
    if not user.has_perm(SEE_EVERY_ITEM):
        items = items.filter(collected_by=user)
    return items.select_related("incident", "collected_by")


def evidence_get(*, user, pk) -> EvidenceItem:
    """One item the user may see, or 404 (never 403)."""
    return get_object_or_404(visible_evidence(user), pk=pk)


def may_have_bytes(user) -> bool:
    """Whether the user may download, preview or export the bytes of the items they see."""
    return user.is_active and user.has_perm(HAVE_THE_BYTES)


def may_export(user) -> bool:
    """Whether the user may export an incident's package (every item's bytes in one zip)."""
    return may_have_bytes(user) and user.has_perm("evidence.export_evidence")


def evidence_bytes_get(*, user, pk) -> EvidenceItem:
    """One item whose bytes the user may have: 404 out of sight, then 403 without the
    permission (before any step-up is asked for)."""
    item = evidence_get(user=user, pk=pk)
    if not may_have_bytes(user):
        raise PermissionDenied("You may see this item's record and hashes, not its bytes.")
    return item


def sees_item(user, item: EvidenceItem) -> bool:
    return visible_evidence(user).filter(pk=item.pk).exists()


def incident_evidence(*, user, incident: Incident):
    """The items of an incident (already fetched through the gate) that the user may
    see, newest first."""
    return visible_evidence(user).filter(incident=incident).order_by("-id")


def releasable_evidence(
    items: QuerySet[EvidenceItem], *, user, incident: Incident
) -> tuple[QuerySet[EvidenceItem], int]:
    """`items` (a queryset of `incident`'s) as they may leave Cordon for `user` (a report,
    a package), and how many were left out: items marked TLP:RED go only to the
    incident's crew and the leads."""
    if may_receive_red(user, incident):
        return items, 0
    return items.exclude(tlp=TLP.RED), items.filter(tlp=TLP.RED).count()


def custody_log(*, item: EvidenceItem):
    """An item's custody events, oldest first."""
    return CustodyEvent.objects.filter(item=item).select_related("actor").order_by("at", "id")


def legal_hold(*, incident: Incident) -> EvidenceHold | None:
    """The incident's legal hold record (on or lifted), or None when there never was one."""
    return EvidenceHold.objects.filter(incident=incident).select_related("changed_by").first()
