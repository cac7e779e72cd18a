"""Several digests of one stream in one read.

One loop reads the stream in 1 MiB chunks and hands each chunk to one thread per
digest. hashlib releases the GIL while it hashes a large buffer, so the digests run
in parallel on separate cores and the whole costs about as much as the slowest one
(MD5) rather than the sum. Queues are bounded: memory stays at a few chunks whatever
the size of the stream.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from dataclasses import dataclass

CHUNK_SIZE = 1024 * 1024
QUEUE_DEPTH = 8
ALL_DIGESTS = ("sha256", "sha1", "md5")
_END = None


@dataclass(frozen=True)
class Digests:
    size: int
    hexdigests: dict[str, str]

    def __getattr__(self, name: str) -> str:
        try:
            return self.hexdigests[name]
        except KeyError:
            raise AttributeError(name) from None


class _DigestThread(threading.Thread):
    def __init__(self, algorithm: str) -> None:
        super().__init__(name=f"digest-{algorithm}", daemon=True)
        self.digest = hashlib.new(algorithm)
        self.chunks: queue.Queue = queue.Queue(maxsize=QUEUE_DEPTH)

    def run(self) -> None:
        update, get = self.digest.update, self.chunks.get
        while (chunk := get()) is not _END:
            update(chunk)


def digest_stream(stream, algorithms=ALL_DIGESTS, *, chunk_size: int = CHUNK_SIZE) -> Digests:
    """Read `stream` to its end once; return its size and the hex digests asked for."""
    if len(algorithms) == 1:
        # One digest needs no thread: hash in the reading loop.
        digest = hashlib.new(algorithms[0])
        size = 0
        while chunk := stream.read(chunk_size):
            digest.update(chunk)
            size += len(chunk)
        return Digests(size, {algorithms[0]: digest.hexdigest()})

    threads = [_DigestThread(algorithm) for algorithm in algorithms]
    for thread in threads:
        thread.start()
    size = 0
    try:
        while chunk := stream.read(chunk_size):
            size += len(chunk)
            for thread in threads:
                thread.chunks.put(chunk)
    finally:
        for thread in threads:
            thread.chunks.put(_END)
        for thread in threads:
            thread.join()
    return Digests(size, {t.digest.name: t.digest.hexdigest() for t in threads})


def mismatch_reason(
    *, found_sha256: str, found_size: int, receipt_sha256: str, sender_sha256: str, size: int
) -> str:
    """What a read-back of stored bytes failed to match, said exactly: the receipt (the
    SHA-256 taken as the bytes arrived), the sender's own SHA-256, the size received;
    "" when everything matches. A custody entry must not claim more than was found."""
    matches_receipt = found_sha256 == receipt_sha256
    matches_sender = not sender_sha256 or found_sha256 == sender_sha256
    if matches_receipt and not matches_sender:
        hashes = (
            "The stored bytes hash to the receipt taken as they arrived, "
            "but not to the sender's SHA-256."
        )
    elif not matches_receipt and sender_sha256 and matches_sender:
        hashes = (
            "The stored bytes hash to the sender's SHA-256, "
            "but not to the receipt taken as they arrived."
        )
    elif not matches_receipt and sender_sha256:
        hashes = "The stored bytes match neither the receipt nor the sender's SHA-256."
    elif not matches_receipt:
        hashes = "The stored bytes do not hash to the receipt taken as they arrived."
    else:
        hashes = ""
    if found_size == size:
        return hashes
    sized = f"{found_size} bytes are stored where {size} were received."
    return f"{hashes} {sized}" if hashes else sized
