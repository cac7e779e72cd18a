"""Offline proof bundles: a zip a third party checks with `cordon audit verify FILE`,
without Cordon's database or key material beyond the public key.

Members, in this order:
- `manifest.json`: the bundle format, the log's origin, the tree size, what the
  events are about, and for each event its id, position, leaf content (the exact text
  whose RFC 9162 leaf hash the log holds: a JSON list of the fields in `fields`) and its
  inclusion proof (base64 hashes) against the checkpoint;
- `checkpoint.txt`: the C2SP tlog-checkpoint signed note of that tree size;
- `public_key.pem` and `verifier_key.txt`: the log's Ed25519 public key.

The zip is written byte for byte the same way every time (stored, fixed times, no
extra fields), so the verifier rebuilds it from its members and any changed byte,
inside a member or in a header, fails. cordon_cli/auditproof.py carries the same
writer: the client ships without Cordon.
"""

from __future__ import annotations

import base64
import json
import struct
import zlib

from audit import checkpoints, signing
from audit.chain import LEAF_FIELDS, leaf_content
from audit.models import AuditEvent, SignedCheckpoint
from audit.proofs import inclusion_proof
from audit.sequencer import sequence_pending

FORMAT = "cordon-audit-proof/1"
MEMBERS = ("manifest.json", "checkpoint.txt", "public_key.pem", "verifier_key.txt")
_DOS_DATE_1980_01_01 = 0x21


def stored_zip(members: list[tuple[str, bytes]]) -> bytes:
    """A zip of `members` (name, bytes), uncompressed, with nothing that varies."""
    body, central = bytearray(), bytearray()
    for name, data in members:
        encoded, crc, offset = name.encode(), zlib.crc32(data), len(body)
        body += struct.pack(
            "<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, _DOS_DATE_1980_01_01, crc, len(data),
            len(data), len(encoded), 0,
        )  # fmt: skip
        body += encoded + data
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 0, 0, _DOS_DATE_1980_01_01, crc,
            len(data), len(data), len(encoded), 0, 0, 0, 0, 0, offset,
        )  # fmt: skip
        central += encoded
    end = struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), len(body), 0
    )
    return bytes(body + central + end)


class BundleNotReady(Exception):
    """No signed checkpoint covers the events yet (another sequencer is at work):
    asking again in a moment succeeds."""


def _checkpoint_covering(positions: list[int]) -> SignedCheckpoint:
    needed = max(positions, default=-1) + 1
    latest = checkpoints.latest()
    if latest is None or latest.tree_size < needed:
        latest = checkpoints.publish(force=True) or checkpoints.latest()
    if latest is None or latest.tree_size < needed:
        raise BundleNotReady(
            "The log is being sequenced and no signed checkpoint covers these events yet: "
            "ask again in a moment."
        )
    return latest


def build(*, event_ids: list[int], about: dict) -> tuple[bytes, SignedCheckpoint, int]:
    """The bundle of `event_ids` (those sequenced), with `about` in its manifest;
    (bytes, the checkpoint, the number of events)."""
    sequence_pending()
    rows = list(
        AuditEvent.objects.filter(pk__in=event_ids, position__isnull=False)
        .order_by("position")
        .values_list("id", "position", *LEAF_FIELDS)
    )
    checkpoint = _checkpoint_covering([row[1] for row in rows])
    events = []
    for event_id, position, *values in rows:
        proof = inclusion_proof(event_id=event_id, tree_size=checkpoint.tree_size)
        events.append(
            {
                "id": event_id,
                "position": position,
                "content": leaf_content(dict(zip(LEAF_FIELDS, values, strict=True))),
                "proof": [base64.b64encode(value).decode() for value in proof.hashes],
            }
        )
    key = signing.log_key()
    manifest = {
        "format": FORMAT,
        "origin": key.name,
        "tree_size": checkpoint.tree_size,
        "about": about,
        "fields": list(LEAF_FIELDS),
        "events": events,
    }
    members = [
        ("manifest.json", json.dumps(manifest, indent=1, ensure_ascii=False).encode() + b"\n"),
        ("checkpoint.txt", checkpoint.note.encode()),
        ("public_key.pem", key.public_pem.encode()),
        ("verifier_key.txt", (key.verifier_key + "\n").encode()),
    ]
    return stored_zip(members), checkpoint, len(events)
