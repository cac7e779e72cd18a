"""The Merkle tree of the audit log, hashed as RFC 9162 §2.1 says: a leaf is
SHA-256(0x00 || content), a node SHA-256(0x01 || left || right), and a tree of n leaves
splits at the largest power of two below n.

Pure functions on bytes: no database here. The sequencer keeps the perfect subtrees
(aligned blocks of 2^level leaves) of level 4 and up in a table, so any root or proof
is assembled from at most a few dozen stored hashes and a few leaves (audit/proofs.py)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

EMPTY_ROOT = hashlib.sha256(b"").digest()

# (level, index): the perfect subtree of leaves [index << level, (index + 1) << level).
NodeKey = tuple[int, int]


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split_point(size: int) -> int:
    """The largest power of two below `size` (size > 1)."""
    return 1 << ((size - 1).bit_length() - 1)


def perfect_parts(start: int, end: int) -> list[NodeKey]:
    """The perfect subtrees that MTH(D[start:end]) is built from, left to right, for the
    ranges RFC 9162's recursions produce (`start` aligned to the first part's size)."""
    parts = []
    while end > start:
        size = end - start
        width = size if size & (size - 1) == 0 else split_point(size)
        level = width.bit_length() - 1
        parts.append((level, start >> level))
        start += width
    return parts


def fold(hashes: list[bytes]) -> bytes:
    """The root of perfect subtrees of decreasing size, as RFC 9162 combines them: the
    rightmost two first."""
    if not hashes:
        return EMPTY_ROOT
    root = hashes[-1]
    for left in reversed(hashes[:-1]):
        root = node_hash(left, root)
    return root


def frontier_keys(size: int) -> list[NodeKey]:
    """The perfect subtrees a tree of `size` leaves is made of: one per set bit."""
    return perfect_parts(0, size)


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose hashes make the audit path PATH(index, D[0:size]), in the
    order of the proof (from the leaf up). RFC 9162 §2.1.3.1."""
    ranges = []
    start, end = 0, size
    while end - start > 1:
        k = split_point(end - start)
        if index - start < k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    ranges.reverse()
    return ranges


def consistency_ranges(first: int, second: int) -> list[tuple[int, int]]:
    """The leaf ranges whose hashes make PROOF(first, D[0:second]) (0 < first < second),
    in the order of the proof. RFC 9162 §2.1.4.1."""
    ranges = []
    start, end, m, complete = 0, second, first, True
    while True:
        size = end - start
        if m == size:
            if not complete:
                ranges.append((start, end))
            break
        k = split_point(size)
        if m <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            m -= k
            start += k
            complete = False
    ranges.reverse()
    return ranges


def hashes_for(ranges: Iterable[tuple[int, int]], lookup: Callable[[set], dict]) -> list[bytes]:
    """MTH of each range, from the stored perfect subtrees `lookup(keys)` returns."""
    ranges = list(ranges)
    parts = [perfect_parts(start, end) for start, end in ranges]
    nodes = lookup({key for keys in parts for key in keys})
    return [fold([nodes[key] for key in keys]) for keys in parts]


@dataclass
class Frontier:
    """The right edge of a growing tree: its perfect subtrees, largest first. Appending
    a leaf yields every perfect subtree it completes (to be stored)."""

    size: int = 0
    hashes: list[bytes] = field(default_factory=list)

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        completed = []
        index = self.size
        self.hashes.append(leaf)
        self.size += 1
        level = 0
        # Each trailing one bit of the old size is a subtree the new leaf completes.
        while index & 1:
            right = self.hashes.pop()
            left = self.hashes.pop()
            level += 1
            index >>= 1
            merged = node_hash(left, right)
            self.hashes.append(merged)
            completed.append((level, index, merged))
        return completed

    def root(self) -> bytes:
        return fold(self.hashes)


# --- Verification (what a client does; cordon_cli carries its own copy) ---------------


def root_from_inclusion(index: int, size: int, leaf: bytes, path: list[bytes]) -> bytes | None:
    """RFC 9162 §2.1.3.2: the root that `path` proves `leaf` at `index` of `size` under,
    or None when the path cannot be a proof for that position."""
    if index >= size:
        return None
    fn, sn, root = index, size - 1, leaf
    for sibling in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            root = node_hash(sibling, root)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            root = node_hash(root, sibling)
        fn >>= 1
        sn >>= 1
    return root if sn == 0 else None


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, path: list[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2: the tree of `second` leaves extends the one of `first`."""
    if first == second:
        return first_root == second_root and not path
    if first == 0:
        return not path
    if first > second or not path:
        return False
    if first & (first - 1) == 0:
        path = [first_root, *path]
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for sibling in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(sibling, fr)
            sr = node_hash(sibling, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, sibling)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == first_root and sr == second_root
