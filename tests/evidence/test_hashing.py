"""Hashes: the parallel one-pass digests and the streaming receipt equal hashlib's."""

import hashlib
import io
import os

import pytest

from evidence.hashing import CHUNK_SIZE, digest_stream
from evidence.uploads import EvidenceUploadHandler


@pytest.mark.parametrize("size", [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, 3 * CHUNK_SIZE + 12345])
def test_three_digests_in_one_pass_equal_hashlib(size):
    data = os.urandom(size)

    digests = digest_stream(io.BytesIO(data))

    assert digests.size == size
    assert digests.sha256 == hashlib.sha256(data).hexdigest()
    assert digests.sha1 == hashlib.sha1(data).hexdigest()  # noqa: S324 - evidence convention
    assert digests.md5 == hashlib.md5(data).hexdigest()  # noqa: S324 - evidence convention


def test_one_digest_alone_equals_hashlib():
    data = os.urandom(2 * CHUNK_SIZE + 7)
    assert digest_stream(io.BytesIO(data), ("sha256",)).sha256 == hashlib.sha256(data).hexdigest()


def test_the_receipt_is_computed_while_the_bytes_arrive(settings, vault):
    """Chunk by chunk, as the multipart parser feeds them: the digest exists when the last
    chunk is in, without reading the file back."""
    settings.EVIDENCE_MAX_BYTES = 10 * CHUNK_SIZE
    data = os.urandom(3 * CHUNK_SIZE + 99)
    handler = EvidenceUploadHandler()
    handler.new_file("file", "memory.raw", "application/octet-stream", None)
    partial = hashlib.sha256()
    for start in range(0, len(data), CHUNK_SIZE):
        chunk = data[start : start + CHUNK_SIZE]
        assert handler.receive_data_chunk(chunk, start) is None
        partial.update(chunk)
        assert handler._digest.hexdigest() == partial.hexdigest()

    upload = handler.file_complete(len(data))

    assert upload.receipt_sha256 == hashlib.sha256(data).hexdigest()
    assert upload.size == len(data)
    with open(upload.temporary_file_path(), "rb") as stored:
        assert stored.read() == data
    upload.close()
    assert not os.path.exists(upload.temporary_file_path())
