"""Handing evidence bytes out safely: always as an attachment, never rendered.

The name is sent RFC 6266 style (an ASCII fallback plus filename*=UTF-8''…), the type
is application/octet-stream with nosniff, and a sandboxing CSP makes sure a browser
that tries to show the bytes anyway cannot run or load anything from them.
"""

from __future__ import annotations

import string
from urllib.parse import quote

from django.http import FileResponse

from evidence.models import EvidenceItem
from evidence.storage import READ_CHUNK_SIZE, evidence_store

SANDBOX_CSP = "sandbox; default-src 'none'"
_ASCII_SAFE = set(string.ascii_letters + string.digits + " ._-()[]+,=@")


def content_disposition(name: str) -> str:
    fallback = "".join(char if char in _ASCII_SAFE else "_" for char in name) or "evidence"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def evidence_file_response(item: EvidenceItem) -> FileResponse:
    """The stored bytes, streamed in 1 MiB blocks, with the headers above."""
    stream = evidence_store().open(item.storage_key)
    response = FileResponse(stream, content_type="application/octet-stream")
    response.block_size = READ_CHUNK_SIZE
    response["Content-Length"] = str(item.size)
    response["Content-Disposition"] = content_disposition(item.original_name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SANDBOX_CSP
    response["Cache-Control"] = "no-store"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
