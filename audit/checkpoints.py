"""Signed checkpoints: the sequencer's tree head, signed as a C2SP tlog-checkpoint note
every AUDIT_CHECKPOINT_EVERY_SECONDS while the log grows, and on demand."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit import signing
from audit.models import AuditEvent, SignedCheckpoint
from audit.sequencer import tail, try_lock


def latest() -> SignedCheckpoint | None:
    return SignedCheckpoint.objects.order_by("-tree_size").first()


@transaction.atomic
def publish(*, force: bool = False) -> SignedCheckpoint | None:
    """Sign the current tree head when the log grew since the last checkpoint and that one
    is older than AUDIT_CHECKPOINT_EVERY_SECONDS (at once with `force`). Returns the
    checkpoint signed, or None. Under the sequencer's lock, so the head cannot move."""
    if not try_lock():
        return None
    log = tail()
    last = latest()
    if log.size == 0 or (last is not None and last.tree_size >= log.size):
        return None
    due = timedelta(seconds=settings.AUDIT_CHECKPOINT_EVERY_SECONDS)
    if not force and last is not None and timezone.now() - last.created_at < due:
        return None
    root = log.frontier.root()
    key = signing.log_key()
    return SignedCheckpoint.objects.create(
        tree_size=log.size,
        root_hash=root,
        note=signing.sign_note(signing.checkpoint_text(log.size, root), key),
        key_id=key.key_id.hex(),
        last_event_id=AuditEvent.objects.filter(position=log.size - 1)
        .values_list("id", flat=True)
        .first(),
    )
