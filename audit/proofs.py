"""Inclusion and consistency proofs (RFC 9162 §2.1.3, §2.1.4) from the stored tree:
each is assembled from the few perfect subtrees it needs, in one query per table."""

from __future__ import annotations

from dataclasses import dataclass

from audit import merkle
from audit.models import AuditEvent
from audit.sequencer import stored_nodes


class ProofError(ValueError):
    """A proof that cannot be given: `field` names the parameter at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class InclusionProof:
    event_id: int
    leaf_index: int
    tree_size: int
    leaf_hash: bytes
    hashes: list[bytes]


def log_size() -> int:
    last = (
        AuditEvent.objects.filter(position__isnull=False)
        .order_by("-position")
        .values_list("position", flat=True)
        .first()
    )
    return 0 if last is None else last + 1


def inclusion_proof(*, event_id: int, tree_size: int) -> InclusionProof:
    row = AuditEvent.objects.filter(pk=event_id).values_list("position", "leaf_hash").first()
    if row is None:
        raise ProofError("event", "No such event.")
    position, leaf = row
    if position is None:
        raise ProofError("event", "This event has no position in the log yet; try again shortly.")
    if tree_size > log_size():
        raise ProofError("tree_size", "The log is not that large.")
    if position >= tree_size:
        raise ProofError("tree_size", "The event is not in a tree of that size.")
    path = merkle.hashes_for(merkle.inclusion_ranges(position, tree_size), stored_nodes)
    return InclusionProof(event_id, position, tree_size, bytes.fromhex(leaf), path)


def consistency_proof(*, first: int, second: int) -> list[bytes]:
    if first < 1:
        raise ProofError("first", "Must be at least 1.")
    if second < first:
        raise ProofError("second", "Must be at least first.")
    if second > log_size():
        raise ProofError("second", "The log is not that large.")
    if first == second:
        return []
    return merkle.hashes_for(merkle.consistency_ranges(first, second), stored_nodes)


def root_at(tree_size: int) -> bytes:
    """The Merkle root of the first `tree_size` events, from the stored tree."""
    keys = merkle.frontier_keys(tree_size)
    nodes = stored_nodes(keys)
    return merkle.fold([nodes[key] for key in keys])
