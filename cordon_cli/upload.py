"""Streaming an evidence file as multipart/form-data without holding it in memory.

One pass over the file: the body is a generator of 1 MiB chunks with a Content-Length
computed beforehand, and the SHA-256 is computed from the very bytes sent. The `sha256`
form field therefore goes AFTER the file part: Django's multipart parser and the evidence
upload handler read the parts in order and the API validates the fields only once the
whole body has arrived, so the order makes no difference to the server.

If the file changes while it is read, the body cannot simply stop (its length is
promised): a file that shrank is padded with zeros and sent with the hash of the bytes
actually read, so the server receives an item that will never verify
(`integrity_failure`), and the client says so. A file that grew is sent up to the size
it had when opened.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cordon_cli.errors import FileChanged

CHUNK_SIZE = 1024 * 1024
SHA256_HEX_LENGTH = 64


@dataclass
class ReadOutcome:
    """What happened to the file while it was sent."""

    sent_bytes: int = 0
    read_bytes: int = 0
    sha256: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def shrank(self) -> bool:
        return self.read_bytes < self.sent_bytes


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def _field(boundary: str, name: str, value: str) -> bytes:
    return (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
    ).encode()


class MultipartUpload:
    """The body of POST /incidents/<id>/evidence/ for one file, made fresh per attempt."""

    def __init__(self, path: Path, fields: dict[str, str], *, progress=None):
        self.path = path
        self.fields = {name: value for name, value in fields.items() if value}
        self.progress = progress
        self.outcome = ReadOutcome()

    def open(self) -> tuple[Iterator[bytes], dict[str, str]]:
        """A new body (generator) and its headers; the file is opened and measured now."""
        try:
            handle = self.path.open("rb")
        except FileNotFoundError as error:
            raise FileChanged(f"{self.path}: vanished before it could be read") from error
        except OSError as error:
            raise FileChanged(f"{self.path}: cannot read: {error.strerror}") from error
        before = os.fstat(handle.fileno())
        size = before.st_size
        boundary = uuid.uuid4().hex
        head = b"".join(_field(boundary, name, value) for name, value in self.fields.items())
        head += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{_quote(self.path.name)}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        tail_start = f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="sha256"\r\n\r\n'
        tail_end = f"\r\n--{boundary}--\r\n"
        length = len(head) + size + len(tail_start) + SHA256_HEX_LENGTH + len(tail_end)
        self.outcome = ReadOutcome(sent_bytes=size)
        headers = {
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Length": str(length),
        }
        body = self._body(handle, before, head, tail_start, tail_end)
        return body, headers

    def _body(self, handle, before, head, tail_start, tail_end) -> Iterator[bytes]:
        outcome = self.outcome
        digest = hashlib.sha256()
        with handle:
            yield head
            remaining = outcome.sent_bytes
            while remaining:
                try:
                    chunk = handle.read(min(CHUNK_SIZE, remaining))
                except OSError as error:
                    raise FileChanged(f"{self.path}: read failed: {error.strerror}") from error
                if not chunk:
                    break
                digest.update(chunk)
                remaining -= len(chunk)
                outcome.read_bytes += len(chunk)
                if self.progress:
                    self.progress(outcome.read_bytes, outcome.sent_bytes)
                yield chunk
            if remaining:
                outcome.problems.append(
                    f"shrank while being read ({outcome.sent_bytes} bytes when opened, "
                    f"{outcome.read_bytes} read)"
                )
                while remaining:  # the promised length, so the request stays well formed
                    padding = min(CHUNK_SIZE, remaining)
                    remaining -= padding
                    yield bytes(padding)
            elif handle.read(1):
                outcome.problems.append(
                    f"grew while being read; sent the first {outcome.sent_bytes} bytes"
                )
            after = os.fstat(handle.fileno())
        if not outcome.problems and (
            after.st_size != before.st_size or after.st_mtime_ns != before.st_mtime_ns
        ):
            outcome.problems.append("was modified while being read")
        try:
            now = os.stat(self.path)
            if (now.st_dev, now.st_ino) != (before.st_dev, before.st_ino):
                outcome.problems.append("was replaced by another file while being read")
        except FileNotFoundError:
            outcome.problems.append("vanished while being read")
        outcome.sha256 = digest.hexdigest()
        yield tail_start.encode() + outcome.sha256.encode() + tail_end.encode()


class ProgressBar:
    """A one-line progress bar on stderr, only when stderr is a terminal."""

    WIDTH = 30
    EVERY_SECONDS = 0.2

    def __init__(self, label: str, stream=None):
        self.stream = stream or sys.stderr
        self.label = label
        self.enabled = self.stream.isatty()
        self.started = time.monotonic()
        self.shown_at = 0.0

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if done < total and now - self.shown_at < self.EVERY_SECONDS:
            return
        self.shown_at = now
        fraction = done / total if total else 1.0
        filled = int(self.WIDTH * fraction)
        rate = done / max(now - self.started, 1e-6) / 2**20
        self.stream.write(
            f"\r{self.label} [{'#' * filled}{'.' * (self.WIDTH - filled)}] "
            f"{fraction:4.0%} {done / 2**20:.1f}/{total / 2**20:.1f} MiB {rate:.1f} MiB/s"
        )
        self.stream.flush()

    def finish(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


def hash_file(path: Path, on_chunk: Callable[[int], None] | None = None) -> dict[str, str]:
    """SHA-256, SHA-1 and MD5 of a file in one pass (for comparing with the server)."""
    digests = {"sha256": hashlib.sha256(), "sha1": hashlib.sha1(), "md5": hashlib.md5()}  # noqa: S324 - evidence fingerprints, not security
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_SIZE):
            size += len(chunk)
            for digest in digests.values():
                digest.update(chunk)
    return {"size": str(size), **{name: digest.hexdigest() for name, digest in digests.items()}}
