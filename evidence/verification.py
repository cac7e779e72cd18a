"""Re-verification of stored evidence: hash the stored bytes again and compare them
with what was recorded; a change is an integrity failure.

`manage.py verify_evidence` re-verifies every item now, in its own process. The
periodic job (celery beat) does not: it only cuts the ids into batches and hands each
batch to a worker (evidence.tasks), so no one task hashes the whole vault and outlives
the broker's visibility timeout, after which acks_late delivers it a second time.

Every pass is a *run* with an id (the beat task's own message id, so a redelivered
fan-out keeps it; a new one for each command). An item is recorded at most once per
run: a batch delivered twice hashes again at worst, and writes no second custody
event, audit event or alert for the same run.

`evidence_orphans` is the other direction: objects in the store that no kept item
refers to. Bytes are stored before the transaction that records their item
(evidence.services.evidence_receive) and removed after the one that disposes of it, so
a crash between the two steps can leave such an object; nothing else should.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from evidence.hashing import digest_stream
from evidence.models import Action, CustodyEvent, EvidenceItem, Status
from evidence.services import _integrity_failure, _lock_item, custody_record
from evidence.storage import evidence_store

# Ids read from the database at a time while cutting batches (a server-side cursor).
ID_CHUNK_SIZE = 2000
# Objects younger than this are not orphans yet: their item may be being recorded now.
ORPHAN_GRACE = timedelta(hours=1)
# Stored keys looked up in the database at a time by the orphan sweep.
ORPHAN_LOOKUP_BATCH = 1000


@dataclass(frozen=True)
class VerifyResult:
    item_id: int
    ok: bool
    reason: str = ""


def new_run_id() -> str:
    return uuid.uuid4().hex


def stored_evidence() -> Iterable[tuple[int, int]]:
    """(id, size) of every item whose bytes are kept (not disposed), oldest first, read
    in chunks: no item is loaded."""
    return (
        EvidenceItem.objects.filter(disposed_at__isnull=True)
        .order_by("pk")
        .values_list("pk", "size")
        .iterator(chunk_size=ID_CHUNK_SIZE)
    )


def stored_evidence_batches(
    *, max_items: int | None = None, max_bytes: int | None = None
) -> Iterator[list[int]]:
    """The ids of stored items in batches of at most `max_items` ids and `max_bytes` bytes
    to hash (an item larger than that goes alone), so each batch is done well within the
    broker's visibility timeout."""
    max_items = max_items or settings.EVIDENCE_VERIFY_BATCH_ITEMS
    max_bytes = max_bytes or settings.EVIDENCE_VERIFY_BATCH_BYTES
    batch: list[int] = []
    batch_bytes = 0
    for item_id, size in stored_evidence():
        if batch and (len(batch) >= max_items or batch_bytes + size > max_bytes):
            yield batch
            batch, batch_bytes = [], 0
        batch.append(item_id)
        batch_bytes += size
    if batch:
        yield batch


def _recorded(evidence_id: int, run: str) -> VerifyResult | None:
    """What this run already recorded for the item, if it did."""
    event = (
        CustodyEvent.objects.filter(item_id=evidence_id, action=Action.RE_VERIFIED, data__run=run)
        .only("reason", "data")
        .first()
    )
    if event is None:
        return None
    return VerifyResult(evidence_id, bool(event.data.get("ok")), event.reason)


def _hash_stored(item: EvidenceItem) -> tuple[str, str]:
    """(the SHA-256 found, why it does not match or "") for the item's stored bytes."""
    store = evidence_store()
    if not store.exists(item.storage_key):
        return "", "the stored object is missing"
    with store.open(item.storage_key) as stream:
        digests = digest_stream(stream, ("sha256",))
    matches = digests.sha256 == item.expected_sha256 and digests.size == item.size
    return digests.sha256, "" if matches else "content changed"


def evidence_reverify(*, evidence_id: int, run: str, actor=None) -> VerifyResult | None:
    """Hash the item's stored bytes again and record the outcome for `run`: one custody
    event, and on a change the integrity failure (recorded and alerted once, when the
    item turns). None when the item is gone or disposed of.

    Idempotent per run: an item this run already recorded is not hashed again, and one
    recorded by a concurrent delivery while this one hashed is not recorded twice (the
    check is repeated under the item's row lock).
    """
    item = EvidenceItem.objects.filter(pk=evidence_id, disposed_at__isnull=True).first()
    if item is None:
        return None
    if (done := _recorded(evidence_id, run)) is not None:
        return done
    # The I/O before the transaction: it holds no row lock while the bytes are read.
    found, reason = _hash_stored(item)
    ok = not reason
    with transaction.atomic():
        item = _lock_item(evidence_id)
        if item.is_disposed:  # disposed while we hashed: its bytes are meant to be gone
            return None
        if (done := _recorded(evidence_id, run)) is not None:
            return done
        custody_record(
            item=item,
            action=Action.RE_VERIFIED,
            actor=actor,
            sha256=found,
            reason=reason,
            ok=ok,
            run=run,
        )
        if not ok and item.status != Status.INTEGRITY_FAILURE:
            item.status = Status.INTEGRITY_FAILURE
            item.save(update_fields=["status"])
            _integrity_failure(item, reason=f"Re-verification: {reason}.", sha256=found)
    return VerifyResult(evidence_id, ok, reason)


def evidence_verify_batch(
    *, evidence_ids: Iterable[int], run: str, actor=None
) -> list[VerifyResult]:
    """Re-verify these items for `run`; the results of those still stored."""
    results = (evidence_reverify(evidence_id=pk, run=run, actor=actor) for pk in evidence_ids)
    return [result for result in results if result is not None]


def evidence_verify_all(*, actor=None, run: str | None = None) -> list[VerifyResult]:
    """Re-verify every stored (not disposed) item here and now, as one run; the results,
    failures included."""
    run = run or new_run_id()
    return evidence_verify_batch(
        evidence_ids=(item_id for item_id, _size in stored_evidence()), run=run, actor=actor
    )


@dataclass(frozen=True)
class Orphan:
    """A stored object no kept item refers to: never recorded (`item_id` None), or the
    bytes of an item disposed of that are still there."""

    key: str
    modified: datetime
    item_id: int | None = None

    @property
    def reason(self) -> str:
        if self.item_id is None:
            return "no evidence item refers to it"
        return f"evidence #{self.item_id} was disposed of, its bytes are still stored"


def evidence_orphans(*, older_than: timedelta = ORPHAN_GRACE) -> Iterator[Orphan]:
    """Objects in the store that no kept (not disposed) item refers to, last written more
    than `older_than` ago. It only lists them: removing them is the operator's call."""
    cutoff = timezone.now() - older_than
    listing = evidence_store().listing()
    settled = ((key, modified) for key, modified in listing if modified < cutoff)
    while batch := list(islice(settled, ORPHAN_LOOKUP_BATCH)):
        recorded = {
            key: (pk, disposed_at)
            for key, pk, disposed_at in EvidenceItem.objects.filter(
                storage_key__in=[key for key, _modified in batch]
            ).values_list("storage_key", "pk", "disposed_at")
        }
        for key, modified in batch:
            if key not in recorded:
                yield Orphan(key, modified)
            elif recorded[key][1] is not None:
                yield Orphan(key, modified, item_id=recorded[key][0])
