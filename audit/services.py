"""Writing to the audit log, and walking the chain to prove nothing was changed."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from audit import context
from audit.chain import HASHED_FIELDS, LEAF_FIELDS, leaf_hash, normalise, sealed_hashes
from audit.merkle import Frontier, frontier_keys
from audit.models import GENESIS_HASH, AuditCheckpoint, AuditEvent, Outcome, SignedCheckpoint
from audit.sequencer import sequence_pending, stored_nodes

MAX_LABEL_LENGTH = 200


# With a broker, one nudge a second is enough (beat runs the sequencer every second too):
# a Redis SET NX instead of a task message after every commit.
NUDGE_KEY = "audit:sequencer-nudged"
NUDGE_EVERY_SECONDS = 1


# When this process last tried (time.monotonic()): it asks the cache at most once a
# second, not after every commit.
_last_nudge = -float(NUDGE_EVERY_SECONDS)


def _nudge_sequencer() -> None:
    global _last_nudge
    from audit.tasks import audit_sequence

    if settings.CELERY_BROKER_URL:
        now = time.monotonic()
        if now - _last_nudge < NUDGE_EVERY_SECONDS:
            return
        _last_nudge = now
        if not cache.add(NUDGE_KEY, 1, NUDGE_EVERY_SECONDS):
            return
    audit_sequence.delay()


def _nudge_after_commit(conn) -> None:
    """Once per transaction: after it commits, the sequencer gives its events positions
    (in-process on the embedded default, through the broker otherwise)."""
    # One already waits unless it was registered inside a savepoint since left: that
    # one goes if its savepoint is rolled back, and this event would wait unnudged.
    open_savepoints = set(conn.savepoint_ids)
    if any(
        func is _nudge_sequencer and set(sids) <= open_savepoints
        for sids, func, *_ in conn.run_on_commit
    ):
        return
    transaction.on_commit(_nudge_sequencer, using=conn.alias, robust=True)


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
    (no savepoint of its own: an audit write that fails fails the whole write); outside
    one, its one INSERT is a transaction of its own. It takes no lock and reads no chain
    head: the event goes in with its leaf hash and no position, and the sequencer places
    it after commit (audit/sequencer.py).

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
    event.leaf_hash = leaf_hash({name: getattr(event, name) for name in LEAF_FIELDS})
    conn = connections[DEFAULT_DB_ALIAS]
    _insert(event, conn)
    _nudge_after_commit(conn)
    return event


# Every event is written by this one statement, made once: the ORM's save compiled it
# again for every event (and sent signals nobody listens to for audit events), which
# was a third of an append's time in Python. The columns the sequencer fills later are
# left to their defaults (position and sequenced_at NULL), the hashes empty.
_INSERTED = (*LEAF_FIELDS, "leaf_hash", "prev_hash", "hash")
_INSERT_SQL = (
    f"INSERT INTO {AuditEvent._meta.db_table} ({', '.join(_INSERTED)}) "  # noqa: S608
    f"VALUES ({', '.join(['%s'] * len(_INSERTED))}) RETURNING id"
)
_DATA, _IP = _INSERTED.index("data"), _INSERTED.index("ip")
_IP_FIELD = AuditEvent._meta.get_field("ip")


def _insert(event: AuditEvent, conn) -> None:
    if conn.vendor != "postgresql":
        with transaction.atomic(using=conn.alias, savepoint=False):
            event.save()  # SQLite wants its own spelling of dates and JSON: the ORM's
        return
    # In autocommit (no transaction open) the one statement commits by itself: no BEGIN
    # and COMMIT round trips around it, which cost a standalone event (a sign-in, a
    # refusal) more than the INSERT.
    params = [getattr(event, name) for name in _INSERTED]
    params[_DATA] = json.dumps(params[_DATA])
    # As the ORM stores it: "" as NULL, an IPv6 address in its canonical spelling.
    params[_IP] = _IP_FIELD.get_db_prep_save(params[_IP], conn)
    with conn.cursor() as cursor:
        cursor.execute(_INSERT_SQL, params)
        event.pk = cursor.fetchone()[0]
    event._state.adding = False
    event._state.db = conn.alias


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    first_bad_id: int | None = None
    reason: str = ""
    last_id: int = 0
    last_hash: str = GENESIS_HASH


VERIFY_CHUNK_SIZE = 10_000


def verify_chain(
    *, after_position: int = -1, prev_hash: str = GENESIS_HASH, frontier: Frontier | None = None
) -> ChainReport:
    """Walk the sequenced events after `after_position` in log order: each must be at the
    next position, link to the one before (the first to `prev_hash`), and hash to its
    `hash` and `leaf_hash`; and the Merkle root recomputed from the content must be the
    one every signed checkpoint in the walk's range signed. From the start by default
    (`frontier`: the tree's right edge at `after_position`, when not from the start)."""
    expected_prev, expected_position = prev_hash, after_position + 1
    tree = frontier or Frontier()
    signed = list(
        SignedCheckpoint.objects.filter(tree_size__gt=after_position + 1)
        .order_by("tree_size")
        .values_list("pk", "tree_size", "root_hash", "last_event_id")
    )
    next_signed, good_size = 0, after_position + 1
    checked, last_id = 0, 0
    rows = (
        AuditEvent.objects.filter(position__gt=after_position)
        .order_by("position")
        .values_list("id", "position", "hash", "leaf_hash", *HASHED_FIELDS)
    )
    for row in rows.iterator(chunk_size=VERIFY_CHUNK_SIZE):
        event_id, position, stored_hash, stored_leaf, *values = row
        content = dict(zip(HASHED_FIELDS, values, strict=True))
        if position != expected_position:
            return ChainReport(
                False,
                checked,
                event_id,
                f"is at position {position}, not {expected_position}: events before it are missing",
            )
        if content["prev_hash"] != expected_prev:
            return ChainReport(False, checked, event_id, "does not link to the event before it")
        leaf, chained = sealed_hashes(content, content["prev_hash"])
        if chained != stored_hash:
            return ChainReport(False, checked, event_id, "content does not match its hash")
        if leaf != stored_leaf:
            return ChainReport(False, checked, event_id, "content does not match its leaf hash")
        tree.append(bytes.fromhex(leaf))
        while next_signed < len(signed) and signed[next_signed][1] == tree.size:
            pk, size, root, _ = signed[next_signed]
            if bytes(root) != tree.root():
                bad_id = _event_at(good_size) or event_id
                return ChainReport(
                    False,
                    checked,
                    bad_id,
                    f"the Merkle root of the first {size} events is not the one signed "
                    f"checkpoint {pk} holds: the log was rewritten or reordered between "
                    f"positions {good_size} and {size - 1}",
                )
            good_size = size
            next_signed += 1
        expected_prev, expected_position = stored_hash, position + 1
        last_id = event_id
        checked += 1
    if next_signed < len(signed):
        pk, size, _, last_event_id = signed[next_signed]
        return ChainReport(
            False,
            checked,
            last_event_id or last_id,
            f"signed checkpoint {pk} holds {size} events but the log has "
            f"{expected_position}: events are missing from position {expected_position}",
        )
    return ChainReport(True, checked, last_id=last_id, last_hash=expected_prev)


def _event_at(position: int) -> int | None:
    return AuditEvent.objects.filter(position=position).values_list("id", flat=True).first()


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
    """Continue from the last good checkpoint, so the cost does not grow with old events
    (after sequencing what has committed, so every event is in the walk).

    The checkpointed event must still be there with the same hash (a log cut short or
    emptied fails here); everything after it is walked. `manage.py verify_audit_chain`
    walks the whole chain.
    """
    sequence_pending()
    checkpoint = AuditCheckpoint.objects.filter(ok=True).order_by("-id").first()
    after_position, prev_hash, frontier = -1, GENESIS_HASH, None
    if checkpoint is not None:
        lost = checkpoint_lost(checkpoint)
        if lost:
            report = ChainReport(False, 0, checkpoint.verified_through_id, lost)
            return report, _checkpoint_failed(report)
        if checkpoint.verified_through_id:
            verified = AuditEvent.objects.get(pk=checkpoint.verified_through_id).position
            if verified is None:  # the trigger forbids it: only a rewritten table
                report = ChainReport(
                    False,
                    0,
                    checkpoint.verified_through_id,
                    "the last verified event lost its position",
                )
                return report, _checkpoint_failed(report)
            after_position = verified
            prev_hash = checkpoint.verified_through_hash
            keys = frontier_keys(after_position + 1)
            nodes = stored_nodes(keys)
            frontier = Frontier(size=after_position + 1, hashes=[nodes[key] for key in keys])
    report = verify_chain(after_position=after_position, prev_hash=prev_hash, frontier=frontier)
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
