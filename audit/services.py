"""Writing to the audit log, and walking the chain to prove nothing was changed."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from audit import context
from audit.chain import HASHED_FIELDS, event_hash, normalise
from audit.models import GENESIS_HASH, AuditCheckpoint, AuditEvent, Outcome

# Any constant works; it only has to be the same in every process.
CHAIN_LOCK_KEY = 0x436F72646F6E  # "Cordon"
MAX_LABEL_LENGTH = 200


def _lock_chain() -> None:
    """Serialise appends so two writers can never fork the chain.

    PostgreSQL: a transaction-scoped advisory lock. SQLite: transactions are
    opened IMMEDIATE (see settings), so the database write lock is already ours.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])


@transaction.atomic(savepoint=False)
def record(
    action: str,
    *,
    actor=None,
    target=None,
    data: dict | None = None,
    request=None,
    outcome: str = Outcome.SUCCESS,
) -> AuditEvent:
    """Append one event. Joins the caller's transaction, so it commits or rolls back with it
    (no savepoint of its own: an audit write that fails fails the whole write).

    `actor` defaults to the authenticated user of the current request; `request`
    may be passed where the request context middleware has not run.
    """
    ctx = context.get()
    if request is not None and (ctx is None or ctx.request is not request):
        ctx = context.RequestContext(
            request_id=getattr(request, "request_id", None) or context.clean_request_id(None),
            ip=context.client_ip_of(request),
            user_agent=request.headers.get("User-Agent", "")[:300],
            request=request,
        )
    if actor is None and ctx is not None:
        actor = ctx.user

    target_type = target_id = None
    target_label = ""
    if target is not None:
        target_type = ContentType.objects.get_for_model(target, for_concrete_model=False)
        target_id = str(target.pk)
        target_label = str(target)[:MAX_LABEL_LENGTH]

    event = AuditEvent(
        created_at=timezone.now(),
        action=action,
        outcome=outcome,
        actor=actor,
        actor_label=actor.get_username() if actor is not None else "",
        target_type=target_type,
        target_id=target_id or "",
        target_label=target_label,
        data=normalise(data or {}),
        request_id=ctx.request_id if ctx else "",
        ip=ctx.ip if ctx else None,
        user_agent=ctx.user_agent if ctx else "",
    )
    _lock_chain()
    event.prev_hash = (
        AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first() or GENESIS_HASH
    )
    event.hash = event_hash({name: getattr(event, name) for name in HASHED_FIELDS})
    event.save()
    return event


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    first_bad_id: int | None = None
    reason: str = ""
    last_id: int = 0
    last_hash: str = GENESIS_HASH


VERIFY_CHUNK_SIZE = 10_000


def verify_chain(*, after_id: int = 0, prev_hash: str = GENESIS_HASH) -> ChainReport:
    """Walk the events after `after_id` in id order: each must hash to its `hash` and link
    to the one before (the first to `prev_hash`). From the start by default."""
    expected_prev = prev_hash
    checked = 0
    last_id = after_id
    rows = (
        AuditEvent.objects.filter(id__gt=after_id)
        .order_by("id")
        .values_list("id", "hash", *HASHED_FIELDS)
    )
    for row in rows.iterator(chunk_size=VERIFY_CHUNK_SIZE):
        event_id, stored_hash, *values = row
        content = dict(zip(HASHED_FIELDS, values, strict=True))
        if content["prev_hash"] != expected_prev:
            return ChainReport(False, checked, event_id, "does not link to the event before it")
        if event_hash(content) != stored_hash:
            return ChainReport(False, checked, event_id, "content does not match its hash")
        expected_prev = stored_hash
        last_id = event_id
        checked += 1
    return ChainReport(True, checked, last_id=last_id, last_hash=expected_prev)


@dataclass(frozen=True)
class Gap:
    """Where the log lost an event it once held. The events before it that are left
    still link up (the walk proves it), so the first missing event comes right after
    the last one left below it; which ids the lost events had, nothing says."""

    chain_length: int
    position: int  # of the first missing event, counted from 1
    after_id: int | None  # the last event left before the loss, if any

    def __str__(self) -> str:
        after = f"after event {self.after_id}" if self.after_id else "the first event"
        return f"events are missing from position {self.position} ({after})"


def gap_before(event_id: int) -> Gap:
    """Where the loss that took event `event_id` starts."""
    below = AuditEvent.objects.filter(id__lt=event_id)
    return Gap(
        chain_length=AuditEvent.objects.count(),
        position=below.count() + 1,
        after_id=below.order_by("-id").values_list("id", flat=True).first(),
    )


def checkpoint_lost(checkpoint: AuditCheckpoint) -> str:
    """Why the event `checkpoint` vouched for is not in the log as it was; "" when it is.
    A checkpoint of an empty log (through event 0) vouches for no event."""
    event_id = checkpoint.verified_through_id
    if not event_id:
        return ""
    stored = AuditEvent.objects.filter(id=event_id).values_list("hash", flat=True).first()
    if stored == checkpoint.verified_through_hash:
        return ""
    if stored is not None:
        return (
            f"event {event_id} now has another hash than checkpoint {checkpoint.pk} "
            "recorded: the log was rewritten"
        )
    gap = gap_before(event_id)
    return (
        f"the chain has {gap.chain_length} events but checkpoint {checkpoint.pk} verified it "
        f"through event {event_id}, which is gone: {gap}"
    )


def verify_against_checkpoints(report: ChainReport) -> ChainReport:
    """A log cut short, or emptied, still links up; so every event a verification vouched
    for (each good checkpoint) must still be there with the hash it had. Returns `report`
    when they all are, else a broken report at the earliest one that is not: the loss
    starts at or before it."""
    if not report.ok:
        return report
    intact = AuditEvent.objects.filter(
        id=OuterRef("verified_through_id"), hash=OuterRef("verified_through_hash")
    )
    lost = (
        AuditCheckpoint.objects.filter(ok=True, verified_through_id__gt=0)
        .filter(~Exists(intact))
        .order_by("verified_through_id", "id")
        .first()
    )
    if lost is None:
        return report
    return ChainReport(False, report.checked, lost.verified_through_id, checkpoint_lost(lost))


def verify_chain_incrementally() -> tuple[ChainReport, AuditCheckpoint]:
    """Continue from the last good checkpoint, so the cost does not grow with old events.

    The checkpointed event must still be there with the same hash (a log cut short or
    emptied fails here); everything after it is walked. `manage.py verify_audit_chain`
    walks the whole chain.
    """
    checkpoint = AuditCheckpoint.objects.filter(ok=True).order_by("-id").first()
    after_id, prev_hash = 0, GENESIS_HASH
    if checkpoint is not None:
        lost = checkpoint_lost(checkpoint)
        if lost:
            report = ChainReport(False, 0, checkpoint.verified_through_id, lost)
            return report, _checkpoint_failed(report)
        after_id, prev_hash = checkpoint.verified_through_id, checkpoint.verified_through_hash
    report = verify_chain(after_id=after_id, prev_hash=prev_hash)
    if not report.ok:
        return report, _checkpoint_failed(report)
    if checkpoint is not None and report.checked == 0:
        return report, checkpoint
    return report, AuditCheckpoint.objects.create(
        ok=True,
        verified_through_id=report.last_id,
        verified_through_hash=report.last_hash,
        events_checked=report.checked,
    )


def _checkpoint_failed(report: ChainReport) -> AuditCheckpoint:
    return AuditCheckpoint.objects.create(
        ok=False,
        verified_through_id=report.first_bad_id or 0,
        verified_through_hash="",
        events_checked=report.checked,
        reason=report.reason[: AuditCheckpoint._meta.get_field("reason").max_length],
    )


def chain_status() -> AuditCheckpoint | None:
    """The latest verification result, for the audit viewer."""
    return AuditCheckpoint.objects.order_by("-id").first()
