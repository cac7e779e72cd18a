"""Streaming evidence upload: bytes go to a temporary file as they arrive, and their
SHA-256 (the receipt) is computed on the way, so memory use does not grow with the file.

Installed only on the evidence upload views, before anything reads the body
(`install_upload_handler`). EVIDENCE_MAX_BYTES is enforced while streaming: the
upload stops, the partial file is removed, and the view answers 413.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile, StopUpload

from evidence.storage import upload_tmp_dir

FILE_FIELD = "file"
CHUNK_SIZE = 1024 * 1024


class EvidenceUpload(UploadedFile):
    """An uploaded evidence file on disk, with its receipt. Closing it removes the
    temporary file unless the store has taken it."""

    file: IO[bytes]  # never None: always made from the handler's temporary file

    def __init__(self, *, file, name, content_type, size, charset, receipt_sha256):
        super().__init__(file, name, content_type, size, charset)
        self.receipt_sha256 = receipt_sha256

    def temporary_file_path(self) -> str:
        return self.file.name

    def close(self):
        try:
            return self.file.close()
        finally:
            discard(self.file.name)


def discard(path: str | None) -> None:
    if path:
        Path(path).unlink(missing_ok=True)


class EvidenceUploadHandler(FileUploadHandler):
    """Takes the one `file` part of the request; refuses it when it passes the limit."""

    chunk_size = CHUNK_SIZE

    def __init__(self, request=None):
        super().__init__(request)
        self.max_bytes = settings.EVIDENCE_MAX_BYTES
        self.too_large = False
        self._temp = None
        self._digest = None
        self._size = 0
        self._taken = False

    def new_file(self, field_name, file_name, *args, **kwargs):
        if field_name != FILE_FIELD or self._taken:
            raise SkipFile()
        super().new_file(field_name, file_name, *args, **kwargs)
        self._taken = True
        self._temp = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in file_complete
            dir=upload_tmp_dir(), prefix="upload-", delete=False
        )
        self._digest = hashlib.sha256()
        self._size = 0

    def receive_data_chunk(self, raw_data, start):
        self._size += len(raw_data)
        if self._size > self.max_bytes:
            self.too_large = True
            self.abort()
            raise StopUpload(connection_reset=True)
        self._temp.write(raw_data)
        self._digest.update(raw_data)
        return None

    def file_complete(self, file_size):
        temp, self._temp = self._temp, None
        temp.flush()
        os.fsync(temp.fileno())
        temp.seek(0)
        return EvidenceUpload(
            file=temp,
            name=self.file_name,
            content_type=self.content_type,
            size=self._size,
            charset=self.charset,
            receipt_sha256=self._digest.hexdigest(),
        )

    def upload_interrupted(self):
        self.abort()

    def abort(self) -> None:
        """Remove a file that did not finish arriving."""
        temp, self._temp = self._temp, None
        if temp is not None:
            temp.close()
            discard(temp.name)


def install_upload_handler(request) -> EvidenceUploadHandler:
    """Make the evidence handler the only one for this request (before the body is read)."""
    handler = EvidenceUploadHandler(request)
    request.upload_handlers = [handler]
    return handler
