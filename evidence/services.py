"""Every write to evidence but the records of it going to a person (viewed, downloaded,
exported: evidence.release). Each function checks that the actor may do it (the
permission and, itself, need-to-know), validates, writes the custody events and an
audit event in one transaction, and enqueues work after commit. Bytes move outside
those transactions: stored before the one that records them, removed after the one
that disposes of them. Nothing here ever changes an item's bytes or recorded hashes."""

from __future__ import annotations

import logging
import re
from functools import partial

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

import audit
from audit import context as audit_context
from audit.models import Outcome
from core.errors import IllegalStateChange
from core.permissions import require_permission
from evidence import selectors
from evidence.hashing import ALL_DIGESTS, digest_stream, mismatch_reason
from evidence.models import (
    Action,
    CustodyEvent,
    EvidenceHold,
    EvidenceItem,
    Kind,
    Status,
    clean_original_name,
    clean_source_path,
)
from evidence.storage import evidence_store, new_storage_key
from incidents.models import Incident
from incidents.selectors import crew_and_leads, may_see, visible_incidents
from notifications.messages import absolute_url, render_message
from notifications.services import notification_queue

logger = logging.getLogger(__name__)

SHA256_HEX = re.compile(r"^[0-9a-fA-F]{64}$")


def _require_incident_in_sight(actor, incident: Incident) -> None:
    """Need-to-know, checked here too and not only by the view: out of sight, no write."""
    if not may_see(actor, incident):
        raise PermissionDenied("This incident is not in your sight.")


def require_item_in_sight(actor, item: EvidenceItem) -> None:
    """The item in the actor's sight (evidence.selectors: its incident, and every item
    of it or only their own uploads); PermissionDenied otherwise."""
    if actor is None or not actor.is_active or not selectors.sees_item(actor, item):
        raise PermissionDenied("This evidence item is not in your sight.")


def _current_ip() -> str | None:
    ctx = audit_context.get()
    return ctx.ip if ctx is not None else None


def custody_record(
    *,
    item: EvidenceItem,
    action: str,
    actor=None,
    sha256: str = "",
    reason: str = "",
    at=None,
    **data,
) -> CustodyEvent:
    """Append one custody event; who (actor), when, from where (the request's address)."""
    event = CustodyEvent(
        item=item,
        action=action,
        actor=actor,
        at=at or timezone.now(),
        ip=_current_ip(),
        reason=reason,
        sha256=sha256,
        data=data,
    )
    event.save()
    return event


def normalise_sha256(value: str | None) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    if not SHA256_HEX.match(value):
        raise ValidationError({"sha256": ["Give the SHA-256 as 64 hexadecimal characters."]})
    return value.lower()


def evidence_receive(
    *,
    incident: Incident,
    actor,
    uploaded_file,
    kind: str = Kind.FILE,
    description: str = "",
    source_host: str = "",
    source_path: str = "",
    collected_at=None,
    sender_sha256: str = "",
    tlp: str = "",
) -> EvidenceItem:
    """Take an uploaded file (evidence.uploads.EvidenceUpload, already on disk with its
    receipt) into the store under a random key and record it as `pending`.

    The actor needs the upload permission and the incident in their sight. Then, in
    this order, so that no lock is held while bytes move (CONVENTIONS.md: no storage
    I/O inside a transaction after its first write; the audit chain lock is held from
    the first audited write until commit):

    1. everything is checked and the item validated, before any byte moves;
    2. the bytes go to the store under a fresh random key, outside any transaction;
    3. one transaction records the item, its custody events and the audit event.

    If that transaction fails (an integrity error, a failing commit), the stored object
    is removed again. A crash between 2 and 3 leaves at worst an object no item refers
    to, which `manage.py verify_evidence --orphans` lists. Called inside another
    transaction, step 3 refuses (RuntimeError) and the object is removed: an outer
    transaction would hold its locks through the store, and could still roll back.

    The hashing task runs after commit. A sender's hash that differs from the receipt
    is an integrity failure from the start.
    """
    require_permission(actor, "evidence.add_evidenceitem")
    _require_incident_in_sight(actor, incident)
    sender_sha256 = normalise_sha256(sender_sha256)
    receipt = uploaded_file.receipt_sha256
    item = EvidenceItem(
        incident=incident,
        kind=kind,
        description=description,
        source_host=source_host,
        source_path=clean_source_path(source_path),
        collected_at=collected_at,
        collected_by=actor,
        original_name=clean_original_name(uploaded_file.name),
        storage_key=new_storage_key(),
        size=uploaded_file.size,
        receipt_sha256=receipt,
        sender_sha256=sender_sha256,
        tlp=tlp or incident.tlp,  # the incident's marking unless the sender gives one
    )
    if sender_sha256 and sender_sha256 != receipt:
        item.status = Status.INTEGRITY_FAILURE
    item.full_clean()
    store = evidence_store()
    store.put(key=item.storage_key, source_path=uploaded_file.temporary_file_path())
    try:
        _record_receipt(item, actor=actor)
    except BaseException:
        _remove_unrecorded(store, item.storage_key)
        raise
    return item


@transaction.atomic(durable=True)
def _record_receipt(item: EvidenceItem, *, actor) -> None:
    """The rows of a received item whose bytes are in the store already."""
    item.save()
    now = item.created_at
    custody_record(
        item=item,
        action=Action.COLLECTED,
        actor=actor,
        sha256=item.sender_sha256,
        at=min(item.collected_at, now) if item.collected_at else now,
        source_host=item.source_host,
        source_path=item.source_path,
    )
    custody_record(
        item=item,
        action=Action.RECEIVED,
        actor=actor,
        sha256=item.receipt_sha256,
        at=now,
        size=item.size,
    )
    audit.record(
        "evidence.received",
        actor=actor,
        target=item,
        data={
            "incident": item.incident.reference,
            "size": item.size,
            "receipt_sha256": item.receipt_sha256,
            "sender_sha256": item.sender_sha256,
        },
    )
    if item.status == Status.INTEGRITY_FAILURE:
        _integrity_failure(
            item,
            reason="The sender's SHA-256 differs from the bytes received.",
            sha256=item.receipt_sha256,
        )
    transaction.on_commit(partial(_enqueue_hash, item.pk))


def _remove_unrecorded(store, key: str) -> None:
    """Remove an object whose item was never recorded. The failure that got us here is
    what the caller must see, whatever the store raises now: an object left behind is
    logged, and the orphan sweep lists it."""
    try:
        store.delete(key)
    except Exception:
        logger.exception("Could not remove the unrecorded evidence object %s", key)


def _enqueue_hash(evidence_id: int) -> None:
    from evidence.tasks import evidence_hash

    evidence_hash.delay(evidence_id=evidence_id)


def _lock_item(evidence_id: int) -> EvidenceItem:
    """The item's row, locked for this transaction's changes to it.

    FOR NO KEY UPDATE OF the item alone: inserting a custody event (its foreign key
    takes FOR KEY SHARE on the item) or anything referencing the incident is not
    blocked, so viewing an item while the worker records its hashes cannot queue
    behind the hashing transaction and deadlock with it on the audit chain lock.
    """
    return (
        EvidenceItem.objects.select_for_update(no_key=True, of=("self",))
        .select_related("incident")
        .get(pk=evidence_id)
    )


def evidence_hash_stored(*, evidence_id: int) -> EvidenceItem | None:
    """Read the stored object back once and record its SHA-256, SHA-1 and MD5.

    Idempotent: an item already hashed (or gone, or disposed) is left as it is.
    """
    item = EvidenceItem.objects.filter(pk=evidence_id).first()
    if item is None or item.sha256 or item.is_disposed:
        return item
    with evidence_store().open(item.storage_key) as stream:
        digests = digest_stream(stream, ALL_DIGESTS)
    return evidence_record_hashes(
        evidence_id=evidence_id,
        size=digests.size,
        sha256=digests.sha256,
        sha1=digests.sha1,
        md5=digests.md5,
    )


@transaction.atomic
def evidence_record_hashes(
    *, evidence_id: int, size: int, sha256: str, sha1: str, md5: str
) -> EvidenceItem:
    """Record what the stored bytes hash to, and verify them against the receipt and
    the sender's hash: `verified` when all agree, `integrity_failure` otherwise."""
    item = _lock_item(evidence_id)
    if item.sha256:
        return item
    item.sha256, item.sha1, item.md5 = sha256, sha1, md5
    item.hashed_at = timezone.now()
    mismatch = mismatch_reason(
        found_sha256=sha256,
        found_size=size,
        receipt_sha256=item.receipt_sha256,
        sender_sha256=item.sender_sha256,
        size=item.size,
    )
    matches = not mismatch
    if matches and item.status == Status.PENDING:
        item.status = Status.VERIFIED
    elif not matches:
        item.status = Status.INTEGRITY_FAILURE
    item.duplicate_of = (
        EvidenceItem.objects.filter(incident_id=item.incident_id, sha256=sha256, pk__lt=item.pk)
        .order_by("pk")
        .first()
    )
    item.save(update_fields=["sha256", "sha1", "md5", "hashed_at", "status", "duplicate_of"])
    custody_record(item=item, action=Action.HASHED, sha256=sha256, sha1=sha1, md5=md5, size=size)
    audit.record(
        "evidence.hashed",
        target=item,
        data={"sha256": sha256, "sha1": sha1, "md5": md5, "status": item.status},
    )
    if item.status == Status.VERIFIED:
        custody_record(item=item, action=Action.VERIFIED, sha256=sha256)
        _notify_verified(item)
    elif not matches:
        _integrity_failure(item, reason=mismatch, sha256=sha256, size=size)
    return item


def _integrity_failure(item: EvidenceItem, *, reason: str, sha256: str, **data) -> None:
    """Record and raise the alarm: custody event, audit event, mail to crew and leads."""
    custody_record(item=item, action=Action.INTEGRITY_FAILURE, sha256=sha256, reason=reason, **data)
    audit.record(
        "evidence.integrity_failure",
        target=item,
        outcome=Outcome.FAILURE,
        data={"reason": reason, "expected": item.expected_sha256, "found": sha256, **data},
    )
    incident = item.incident
    notification_queue(
        recipients=crew_and_leads(incident),
        message=render_message(
            "evidence_integrity_failure",
            {"item": item, "reason": reason, "found": sha256, "link": _link(item)},
            incident=incident,
        ),
        event="evidence.integrity_failure",
    )


def _notify_verified(item: EvidenceItem) -> None:
    """Tell the person who uploaded the item that it is safely stored (if they want)."""
    uploader, incident = item.collected_by, item.incident
    if not uploader.is_active or not visible_incidents(uploader).filter(pk=incident.pk).exists():
        return
    notification_queue(
        recipients=[uploader],
        message=render_message(
            "evidence_verified", {"item": item, "link": _link(item)}, incident=incident
        ),
        event="evidence.verified",
    )


def _link(item: EvidenceItem) -> str:
    return absolute_url("evidence:detail", item.pk)


class DisposalRefused(IllegalStateChange):
    """Disposal is not possible now: a legal hold, or the bytes are gone already."""


def evidence_hold_active(*, incident: Incident) -> bool:
    return EvidenceHold.objects.filter(incident=incident, active=True).exists()


def _lock_incident(incident_id: int) -> None:
    """Hold and disposal decisions of one incident, one at a time (PostgreSQL row lock)."""
    list(
        Incident.objects.select_for_update(no_key=True, of=("self",))
        .filter(pk=incident_id)
        .values_list("pk")
    )


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["Give the reason."]})
    return reason


@transaction.atomic
def evidence_hold_set(*, incident: Incident, actor, active: bool, reason: str) -> EvidenceHold:
    """Put the incident's evidence under legal hold, or lift the hold (a lead, a reason).
    Needs the hold permission and the incident in the actor's sight."""
    require_permission(actor, "evidence.manage_legal_hold")
    _require_incident_in_sight(actor, incident)
    reason = _reason(reason)
    _lock_incident(incident.pk)  # against a disposal deciding at the same moment
    hold = EvidenceHold.objects.filter(incident=incident).first()
    if hold is None:
        hold = EvidenceHold(incident=incident)
    was_active = hold.active
    hold.active = active
    hold.reason = reason
    hold.changed_by = actor
    hold.changed_at = timezone.now()
    hold.full_clean()
    hold.save()
    audit.record(
        "evidence.legal_hold_set" if active else "evidence.legal_hold_lifted",
        actor=actor,
        target=incident,
        data={"reason": reason, "was_active": was_active},
    )
    return hold


MAX_RECIPIENT_LENGTH = 200


@transaction.atomic
def evidence_transfer(*, item: EvidenceItem, actor, recipient: str, reason: str) -> CustodyEvent:
    """Record that the item (a copy of its bytes, or the medium) was handed to someone
    outside Cordon, such as law enforcement: to whom, why, and its hash at that moment.

    Needs the transfer permission (leads, responders) and the item in the actor's sight;
    recipient and reason are required.
    """
    require_permission(actor, "evidence.transfer_evidence")
    require_item_in_sight(actor, item)
    recipient = (recipient or "").strip()
    if not recipient or len(recipient) > MAX_RECIPIENT_LENGTH:
        raise ValidationError(
            {"recipient": [f"Name who received it (1 to {MAX_RECIPIENT_LENGTH} characters)."]}
        )
    reason = _reason(reason)
    item = _lock_item(item.pk)
    event = custody_record(
        item=item,
        action=Action.TRANSFERRED,
        actor=actor,
        sha256=item.expected_sha256,
        reason=reason,
        to=recipient,
    )
    audit.record(
        "evidence.transferred",
        actor=actor,
        target=item,
        data={"to": recipient, "reason": reason},
    )
    return event


@transaction.atomic
def evidence_dispose(*, item: EvidenceItem, actor, reason: str) -> EvidenceItem:
    """Remove an item's bytes from the store and keep its record: status and hashes
    stay, disposed_at is set, a `disposed` custody event says who and why.

    Needs the dispose permission (leads), the item in sight and a reason; refused under
    legal hold. The bytes go after commit (no storage I/O inside the transaction), so a
    failure before it leaves them where they were; a store that fails to delete them
    then is logged, and `verify_evidence --orphans` lists the bytes still stored.
    """
    require_permission(actor, "evidence.dispose_evidence")
    require_item_in_sight(actor, item)
    reason = _reason(reason)
    item = _lock_item(item.pk)
    _lock_incident(item.incident_id)  # a hold being set at this moment waits, or wins
    hold = EvidenceHold.objects.filter(incident_id=item.incident_id).first()
    if hold is not None and hold.active:
        raise DisposalRefused(
            f"{item.incident.reference} is under legal hold ({hold.reason}); "
            "nothing of its evidence can be disposed of."
        )
    if item.is_disposed:
        raise DisposalRefused(f"The bytes of evidence #{item.pk} were disposed of already.")
    item.disposed_at = timezone.now()
    item.save(update_fields=["disposed_at"])
    custody_record(
        item=item,
        action=Action.DISPOSED,
        actor=actor,
        sha256=item.expected_sha256,
        reason=reason,
        at=item.disposed_at,
    )
    audit.record("evidence.disposed", actor=actor, target=item, data={"reason": reason})
    disposed_pk = item.pk
    # A lambda, not a partial: a robust hook's failure is logged under its __qualname__.
    transaction.on_commit(lambda: _remove_bytes(disposed_pk), robust=True)
    return item


def _remove_bytes(evidence_id: int) -> None:
    from evidence.previews import evidence_preview_forget

    item = EvidenceItem.objects.get(pk=evidence_id)
    evidence_store().delete(item.storage_key)
    evidence_preview_forget(item)
