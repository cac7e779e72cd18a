"""Where evidence bytes live: a local folder (EVIDENCE_ROOT) or an S3-compatible bucket.

Objects are named by a random key, never by anything the sender chose. No transaction
is open while bytes move: an object is stored before the transaction that records its
item and deleted after the one that disposes of it (evidence.services), and
`verify_evidence --orphans` lists what a crash between the two left behind. The local
store keeps uploads in EVIDENCE_ROOT/tmp while they arrive so that storing them is a
rename on the same file system, not a copy. Nothing here is served by a static or
media URL: bytes leave only through the download views, which write custody events.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import BinaryIO, Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

KEY_BYTES = 16
READ_CHUNK_SIZE = 1024 * 1024


def new_storage_key() -> str:
    return secrets.token_hex(KEY_BYTES)


def is_storage_key(name: str) -> bool:
    return len(name) == 2 * KEY_BYTES and all(char in "0123456789abcdef" for char in name)


def upload_tmp_dir() -> Path:
    """Where the upload handler writes incoming bytes (same file system as the store)."""
    path = Path(settings.EVIDENCE_ROOT) / "tmp"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


class EvidenceStore(Protocol):
    def put(self, *, key: str, source_path: str) -> None:
        """Take ownership of the finished file at source_path as object `key`."""

    def open(self, key: str) -> BinaryIO:
        """A binary file-like object to read the stored bytes from, in chunks."""

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...

    def listing(self) -> Iterator[tuple[str, datetime]]:
        """Every stored object's key and when it was last written (for the orphan sweep)."""


class LocalStore:
    """Objects as read-only files under EVIDENCE_ROOT/objects/<2 hex>/<key>."""

    def __init__(self, root) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        if not is_storage_key(key):
            raise ValueError("Not an evidence storage key.")
        return self.root / "objects" / key[:2] / key

    def put(self, *, key: str, source_path: str) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if target.exists():
            raise FileExistsError(f"Storage key {key} is taken.")
        os.chmod(source_path, 0o400)
        os.replace(source_path, target)

    def open(self, key: str) -> BinaryIO:
        return open(self.path(key), "rb", buffering=0)

    def exists(self, key: str) -> bool:
        return self.path(key).exists()

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def listing(self) -> Iterator[tuple[str, datetime]]:
        for path in (self.root / "objects").glob("??/*"):
            if not is_storage_key(path.name) or path.parent.name != path.name[:2]:
                continue
            try:
                modified = path.stat().st_mtime
            except FileNotFoundError:  # deleted since the folder was listed
                continue
            yield path.name, datetime.fromtimestamp(modified, tz=UTC)


class S3Store:
    """Objects in an S3-compatible bucket through django-storages (boto3).

    Uploads go from the temporary file with boto3's multipart transfer; reads stream
    the object body, so neither side ever holds a whole object in memory.
    """

    def __init__(self) -> None:
        try:
            from storages.backends.s3 import S3Storage
        except ImportError as error:  # pragma: no cover - depends on the installation
            raise ImproperlyConfigured("EVIDENCE_STORAGE=s3 needs django-storages[s3].") from error
        self.storage = S3Storage(**settings.EVIDENCE_S3_OPTIONS)

    def _object(self, key: str):
        return self.storage.bucket.Object(self.storage._normalize_name(key))

    def put(self, *, key: str, source_path: str) -> None:
        self._object(key).upload_file(source_path)
        os.unlink(source_path)

    def open(self, key: str) -> BinaryIO:
        return self._object(key).get()["Body"]

    def exists(self, key: str) -> bool:
        return self.storage.exists(key)

    def delete(self, key: str) -> None:
        self.storage.delete(key)

    def listing(self) -> Iterator[tuple[str, datetime]]:
        location = self.storage.location.strip("/")
        prefix = f"{location}/" if location else ""
        for summary in self.storage.bucket.objects.filter(Prefix=prefix):
            key = summary.key[len(prefix) :]
            if is_storage_key(key):
                yield key, summary.last_modified


@cache
def _store_for(kind: str, root: str) -> EvidenceStore:
    if kind == "local":
        return LocalStore(root)
    if kind == "s3":
        return S3Store()
    raise ImproperlyConfigured(f"EVIDENCE_STORAGE must be 'local' or 's3', not {kind!r}.")


def evidence_store() -> EvidenceStore:
    return _store_for(settings.EVIDENCE_STORAGE, str(settings.EVIDENCE_ROOT))
