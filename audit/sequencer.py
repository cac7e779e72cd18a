"""The sequencer: the one writer that gives committed events their place in the log.

`audit.record` appends an event with its leaf hash and no position, taking no lock and
reading nothing other writers write. The sequencer (one at a time: a transaction-scoped
advisory lock taken with pg_try_advisory_xact_lock, so a second one started at once
gives up instead of waiting) takes the committed, unsequenced events in id order, gives
each the next position, links it to the event before (`prev_hash`, `hash`) and adds its
leaf to the Merkle tree, storing the perfect subtrees it completes (AuditTreeNode,
from STORED_FROM_LEVEL up).
A batch is one transaction: a sequencer killed mid-batch leaves nothing of it, and the
next one starts again from the same place, so there is never a gap or a fork.

It runs from beat every second, after the commit of every transaction that appended
(a nudge), and in-process after that commit on the embedded default (no broker: Celery
runs tasks eagerly). On SQLite the write lock of the IMMEDIATE transaction already
makes it the only writer.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from audit.chain import LEAF_FIELDS, sealed_hashes
from audit.merkle import Frontier, frontier_keys
from audit.models import GENESIS_HASH, AuditEvent, AuditTreeNode

# Any constant works; it only has to be the same in every process (not the old chain
# lock's, which no request takes any more).
SEQUENCER_LOCK_KEY = 0x436F72646F6E53  # "CordonS"
BATCH_SIZE = 5000
_COLUMNS = ("id", "leaf_hash", *LEAF_FIELDS)
# Perfect subtrees of levels 1 to 3 are not stored: each is at most eight leaves,
# read from the events and hashed when a root or proof needs it (a proof needs at most
# one of each level). Storing them was fifteen of every sixteen node rows and a fifth
# of the sequencer's time. Such nodes written by earlier versions stay, unused.
STORED_FROM_LEVEL = 4


def nodes_to_store(completed: list[tuple[int, int, bytes]]) -> list[tuple[int, int, bytes]]:
    """Of the perfect subtrees a leaf completes (Frontier.append), those kept in the table."""
    return [node for node in completed if node[0] >= STORED_FROM_LEVEL]


@dataclass(frozen=True)
class Tail:
    """The log as sequenced so far: its size, the hash of its last event, and the right
    edge of its Merkle tree."""

    size: int
    last_hash: str
    frontier: Frontier


def try_lock() -> bool:
    """The sequencer's lock for the rest of this transaction, if no other holds it."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [SEQUENCER_LOCK_KEY])
        return bool(cursor.fetchone()[0])


def _leaves(positions) -> dict[int, bytes]:
    rows = AuditEvent.objects.filter(position__in=positions).values_list("position", "leaf_hash")
    return {position or 0: bytes.fromhex(leaf) for position, leaf in rows}


def _from_leaves(level: int, index: int, leaves: dict[int, bytes]) -> bytes | None:
    """The perfect subtree (level, index) hashed from its leaves, if all are there."""
    frontier = Frontier()
    for position in range(index << level, (index + 1) << level):
        if position not in leaves:
            return None
        frontier.append(leaves[position])
    return frontier.root()


def stored_nodes(keys) -> dict[tuple[int, int], bytes]:
    """Perfect subtrees by (level, index): level 0 are the events' leaves, levels from
    STORED_FROM_LEVEL the stored nodes, the levels between hashed from their leaves."""
    keys = set(keys)
    found: dict[tuple[int, int], bytes] = {}
    low = {(level, index) for level, index in keys if 0 < level < STORED_FROM_LEVEL}
    positions = {index for level, index in keys if level == 0}
    for level, index in low:
        positions.update(range(index << level, (index + 1) << level))
    if positions:
        leaves = _leaves(positions)
        found.update(
            ((0, index), leaves[index]) for level, index in keys if not level and index in leaves
        )
        for level, index in low:
            digest = _from_leaves(level, index, leaves)
            if digest is not None:
                found[(level, index)] = digest
    by_level: dict[int, list[int]] = {}
    for level, index in keys:
        if level >= STORED_FROM_LEVEL:
            by_level.setdefault(level, []).append(index)
    if by_level:
        from django.db.models import Q

        condition = Q()
        for level, indexes in by_level.items():
            condition |= Q(level=level, index__in=indexes)
        node_rows = AuditTreeNode.objects.filter(condition).values_list("level", "index", "hash")
        found.update(((level, index), bytes(digest)) for level, index, digest in node_rows)
    missing = keys - found.keys()
    if missing:
        raise LookupError(f"the Merkle tree lacks nodes {sorted(missing)[:5]}")
    return found


def tail() -> Tail:
    last = (
        AuditEvent.objects.filter(position__isnull=False)
        .order_by("-position")
        .values_list("position", "hash")
        .first()
    )
    if last is None:
        return Tail(0, GENESIS_HASH, Frontier())
    size = (last[0] or 0) + 1
    keys = frontier_keys(size)
    nodes = stored_nodes(keys)
    return Tail(size, last[1], Frontier(size=size, hashes=[nodes[key] for key in keys]))


def sequence_pending(*, batch_size: int = BATCH_SIZE, max_batches: int | None = None) -> int:
    """Sequence every committed event that has no position yet; the number sequenced.
    Returns 0 at once when another sequencer holds the lock."""
    total = batches = 0
    while max_batches is None or batches < max_batches:
        done = _sequence_batch(batch_size)
        total += done
        batches += 1
        if done < batch_size:
            break
    return total


@transaction.atomic
def _sequence_batch(limit: int) -> int:
    if not try_lock():
        return 0
    rows = list(
        AuditEvent.objects.filter(position__isnull=True)
        .order_by("id")
        .values_list(*_COLUMNS)[:limit]
    )
    if not rows:
        return 0
    log = tail()
    frontier, prev_hash, position = log.frontier, log.last_hash, log.size
    now = timezone.now()
    updates, nodes = [], []
    for event_id, stored_leaf, *values in rows:
        leaf, chained = sealed_hashes(dict(zip(LEAF_FIELDS, values, strict=True)), prev_hash)
        # The leaf as written is what the tree holds; were it not the content's,
        # verification names the event (the sequencer never stalls on it).
        leaf = stored_leaf or leaf
        updates.append((event_id, position, prev_hash, chained, leaf, now))
        nodes.extend(nodes_to_store(frontier.append(bytes.fromhex(leaf))))
        prev_hash = chained
        position += 1
    _write(updates, nodes)
    return len(rows)


def _write(updates: list[tuple], nodes: list[tuple[int, int, bytes]]) -> None:
    # A node that already exists can only be left from a log cut short behind the
    # application's back (verification reports that); the log goes on regardless.
    table = AuditEvent._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One statement each, the values as arrays: far cheaper to send than rows.
            ids, positions, prev_hashes, hashes, leaves, times = zip(*updates, strict=True)
            cursor.execute(
                f"UPDATE {table} AS e SET position = v.position, prev_hash = v.prev_hash, "  # noqa: S608
                "hash = v.hash, leaf_hash = v.leaf_hash, sequenced_at = %s "
                "FROM unnest(%s::bigint[], %s::bigint[], %s::text[], %s::text[], %s::text[]) "
                "AS v(id, position, prev_hash, hash, leaf_hash) WHERE e.id = v.id",
                [
                    times[0],
                    list(ids),
                    list(positions),
                    list(prev_hashes),
                    list(hashes),
                    list(leaves),
                ],
            )
            if nodes:
                levels, indexes, digests = zip(*nodes, strict=True)
                cursor.execute(
                    f'INSERT INTO {AuditTreeNode._meta.db_table} (level, "index", hash) '  # noqa: S608
                    "SELECT * FROM unnest(%s::smallint[], %s::bigint[], %s::bytea[]) "
                    "ON CONFLICT DO NOTHING",
                    [list(levels), list(indexes), list(digests)],
                )
            return
        cursor.executemany(
            f"UPDATE {table} SET position = %s, prev_hash = %s, hash = %s, leaf_hash = %s, "  # noqa: S608
            "sequenced_at = %s WHERE id = %s",
            [
                (p, prev, h, leaf, connection.ops.adapt_datetimefield_value(at), event_id)
                for event_id, p, prev, h, leaf, at in updates
            ],
        )
    AuditTreeNode.objects.bulk_create(
        [AuditTreeNode(level=level, index=index, hash=digest) for level, index, digest in nodes],
        ignore_conflicts=True,
    )


@dataclass(frozen=True)
class MergeDelay:
    """How long events wait for a position: over the last sequenced ones (from the
    event's time to its sequencing), and the oldest still waiting."""

    sampled: int
    p50_seconds: float | None
    p99_seconds: float | None
    max_seconds: float | None
    waiting: int
    oldest_waiting_seconds: float | None
    oldest_waiting_id: int | None


MERGE_DELAY_SAMPLE = 1000


def merge_delay(sample: int = MERGE_DELAY_SAMPLE) -> MergeDelay:
    now = timezone.now()
    rows = (
        AuditEvent.objects.filter(position__isnull=False)
        .order_by("-position")
        .values_list("created_at", "sequenced_at")[:sample]
    )
    delays = sorted(
        max(0.0, (sequenced - created).total_seconds()) for created, sequenced in rows if sequenced
    )
    waiting = AuditEvent.objects.filter(position__isnull=True)
    # Few wait at any time: the partial index finds them, then the earliest by time.
    oldest = waiting.order_by("created_at", "id").values_list("id", "created_at").first()

    def quantile(q: float) -> float | None:
        return delays[min(len(delays) - 1, int(q * len(delays)))] if delays else None

    return MergeDelay(
        sampled=len(delays),
        p50_seconds=quantile(0.5),
        p99_seconds=quantile(0.99),
        max_seconds=delays[-1] if delays else None,
        waiting=waiting.count() if oldest else 0,
        oldest_waiting_seconds=(now - oldest[1]).total_seconds() if oldest else None,
        oldest_waiting_id=oldest[0] if oldest else None,
    )
