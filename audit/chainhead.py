"""Signed chain heads kept outside the database, so a truncated or rewritten tail shows.

The hash chain proves that no event was changed, inserted or deleted in the middle,
but whoever can write the table can cut its last events off, or rewrite the whole
tail with fresh hashes, and the chain still verifies. So every few minutes beat
appends the current head (last event id, its hash, the time) to AUDIT_CHAIN_HEAD_FILE,
one JSON line signed with HMAC-SHA256, with the latest signed checkpoint (a C2SP note,
Ed25519: it stands on its own signature) beside it. `manage.py verify_audit_chain --heads FILE`
then checks that each signed head is still in the chain with the same hash.

The key is AUDIT_CHAIN_HEAD_KEY, or else derived from SECRET_KEY: someone who holds
only the database can neither forge a line nor re-sign a rewritten head. Keep the
file where the database's users cannot write (another host, an append-only mount).
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from audit.models import AuditEvent, SignedCheckpoint
from audit.services import gap_before

# Separates this key from every other use of SECRET_KEY.
KEY_PURPOSE = b"cordon.audit.chain-head.v1"
SIGNED_FIELDS = ("id", "hash", "at")
# Heads looked up per query when verifying a long file.
LOOKUP_BATCH = 1000
# Beat alerts when the newest head is older than this many export intervals.
STALE_AFTER_EXPORTS = 3


class ChainHeadError(Exception):
    """The head file cannot be used: missing, unreadable or not ours."""


@dataclass(frozen=True)
class Head:
    id: int
    hash: str
    at: str


@dataclass(frozen=True)
class HeadsReport:
    ok: bool
    checked: int
    line: int | None = None
    head_id: int | None = None
    reason: str = ""
    newest: Head | None = None  # the last well-signed head of the file


def signing_key() -> bytes:
    explicit = settings.AUDIT_CHAIN_HEAD_KEY
    if explicit:
        return explicit.encode()
    return hmac.new(settings.SECRET_KEY.encode(), KEY_PURPOSE, hashlib.sha256).digest()


def _message(head: Head) -> bytes:
    return json.dumps(
        {"id": head.id, "hash": head.hash, "at": head.at}, sort_keys=True, separators=(",", ":")
    ).encode()


def sign(head: Head, key: bytes | None = None) -> str:
    return hmac.new(key or signing_key(), _message(head), hashlib.sha256).hexdigest()


def current_head() -> Head | None:
    from audit.sequencer import sequence_pending

    sequence_pending()
    row = (
        AuditEvent.objects.filter(position__isnull=False)
        .order_by("-position")
        .values_list("id", "hash")
        .first()
    )
    if row is None:
        return None
    return Head(id=row[0], hash=row[1], at=timezone.now().isoformat(timespec="seconds"))


def _tail(handle) -> bytes:
    """The file's last few kilobytes: enough for its last line."""
    size = handle.seek(0, os.SEEK_END)
    handle.seek(max(0, size - 4096))
    return handle.read()


def _last_exported_id(tail: bytes) -> int | None:
    lines = tail.splitlines()
    try:
        return int(json.loads(lines[-1])["id"])
    except (IndexError, ValueError, KeyError, TypeError):
        return None


def export_head(path: str | os.PathLike | None = None) -> Head | None:
    """Append the signed current head to the file (created 0600 if missing) and fsync it.

    Nothing is written when the log is empty or its head is the one exported last.
    Returns the head written, or None.
    """
    path = Path(path or settings.AUDIT_CHAIN_HEAD_FILE)
    head = current_head()
    if head is None:
        return None
    created = not path.exists()
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "r+b") as handle:
        # Two beat runs at once must not interleave their lines.
        fcntl.flock(handle, fcntl.LOCK_EX)
        tail = _tail(handle)
        if _last_exported_id(tail) == head.id:
            return None
        line: dict = {"id": head.id, "hash": head.hash, "at": head.at, "sig": sign(head)}
        checkpoint = SignedCheckpoint.objects.order_by("-tree_size").values_list("note").first()
        if checkpoint is not None:
            # The latest signed checkpoint travels with the head: kept outside the
            # database, it holds the log to its tree even if every checkpoint row is lost.
            line["checkpoint"] = checkpoint[0]
        # After a torn write (a crash mid-line) the new line still starts on its own;
        # the torn one stays, and verification reports it.
        separator = b"\n" if tail and not tail.endswith(b"\n") else b""
        handle.write(separator + (json.dumps(line, separators=(",", ":")) + "\n").encode())
        handle.flush()
        os.fsync(handle.fileno())
    if created:
        # The new directory entry must survive a crash too.
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    return head


def _parse(number: int, text: str, key: bytes) -> Head | HeadsReport:
    try:
        fields = json.loads(text)
        head = Head(id=int(fields["id"]), hash=str(fields["hash"]), at=str(fields["at"]))
        signature = str(fields["sig"])
    except (ValueError, KeyError, TypeError, OverflowError):
        return HeadsReport(False, 0, number, None, "not a signed chain head line")
    # Bytes: compare_digest refuses str with non-ASCII characters (a crafted line).
    if not hmac.compare_digest(signature.encode(), sign(head, key).encode()):
        return HeadsReport(
            False, 0, number, head.id, "bad signature (forged, or signed with another key)"
        )
    return head


def verify_heads(path: str | os.PathLike) -> HeadsReport:
    """Every signed head in the file must still be in the chain with the same hash.

    A head whose event is gone means the tail was cut off; a different hash means
    the event was rewritten. A line that is not a valid signed head (torn by a crash,
    forged) does not stop the check of the heads after it: a cut-off or rewritten
    tail is reported first, then a forged line, then an unreadable one.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ChainHeadError(f"cannot read the chain head file {path}: {error}") from error
    key = signing_key()
    heads: list[tuple[int, Head]] = []
    bad_lines: list[HeadsReport] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        parsed = _parse(number, raw, key)
        if isinstance(parsed, HeadsReport):
            bad_lines.append(parsed)
        else:
            heads.append((number, parsed))
    for start in range(0, len(heads), LOOKUP_BATCH):
        batch = heads[start : start + LOOKUP_BATCH]
        stored = dict(
            AuditEvent.objects.filter(id__in={head.id for _, head in batch}).values_list(
                "id", "hash"
            )
        )
        for offset, (number, head) in enumerate(batch):
            exported = f"event {head.id} exported at {head.at}"
            if head.id not in stored:
                # Not the chain's length: beat alerts once per distinct reason.
                reason = f"{exported} is gone: the tail was cut off ({gap_before(head.id)})"
            elif stored[head.id] != head.hash:
                reason = f"{exported} now has another hash: the tail was rewritten"
            else:
                continue
            return HeadsReport(False, start + offset, number, head.id, reason)
    if bad_lines:
        # A forged line (it parsed, with a wrong signature) before a torn one.
        worst = min(bad_lines, key=lambda report: (report.head_id is None, report.line))
        return HeadsReport(False, len(heads), worst.line, worst.head_id, worst.reason)
    return HeadsReport(True, len(heads), newest=heads[-1][1] if heads else None)


def verify_heads_now(path: str | os.PathLike) -> HeadsReport:
    """What beat checks: every head (verify_heads), and that heads are still being
    exported: the newest may be at most STALE_AFTER_EXPORTS export intervals older
    than the newest event (an exporter that stopped, or heads cut from the file)."""
    try:
        report = verify_heads(path)
    except ChainHeadError as error:
        return HeadsReport(False, 0, None, None, str(error))
    if not report.ok:
        return report
    newest = report.newest
    last_event = AuditEvent.objects.order_by("-id").values_list("id", "created_at").first()
    if last_event is None:
        return report
    allowed = timedelta(seconds=settings.AUDIT_CHAIN_HEAD_EVERY_SECONDS * STALE_AFTER_EXPORTS)
    if newest is None or (
        newest.id < last_event[0] and last_event[1] - datetime.fromisoformat(newest.at) > allowed
    ):
        since = f"since {newest.at}" if newest else "ever"
        return HeadsReport(
            False, report.checked, None, None, f"no head exported {since}: is the exporter running?"
        )
    return report
