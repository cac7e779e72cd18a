"""Writing to the audit log, and walking the chain to prove nothing was changed."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.utils import timezone

from audit import context
from audit.chain import HASHED_FIELDS, event_hash, normalise
from audit.models import GENESIS_HASH, AuditEvent, Outcome

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


VERIFY_CHUNK_SIZE = 10_000


def verify_chain() -> ChainReport:
    """Walk every event in id order: each must hash to its `hash` and link to the one before."""
    expected_prev = GENESIS_HASH
    checked = 0
    rows = AuditEvent.objects.order_by("id").values_list("id", "hash", *HASHED_FIELDS)
    for row in rows.iterator(chunk_size=VERIFY_CHUNK_SIZE):
        event_id, stored_hash, *values = row
        content = dict(zip(HASHED_FIELDS, values, strict=True))
        if content["prev_hash"] != expected_prev:
            return ChainReport(False, checked, event_id, "does not link to the event before it")
        if event_hash(content) != stored_hash:
            return ChainReport(False, checked, event_id, "content does not match its hash")
        expected_prev = stored_hash
        checked += 1
    return ChainReport(True, checked)
