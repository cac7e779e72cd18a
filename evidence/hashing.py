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
