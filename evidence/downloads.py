"""Handing evidence bytes out safely: always as an attachment, never rendered.

The name is sent RFC 6266 style (an ASCII fallback plus filename*=UTF-8''…), the type
is application/octet-stream with nosniff, and a sandboxing CSP makes sure a browser
that tries to show the bytes anyway cannot run or load anything from them.

`?format=zip` hands the bytes out inside a zip encrypted with AES-256 (WinZip AES)
under the password `infected`, the convention for passing malware samples around:
no mail filter, virus scanner or careless double click touches the content on the
way. The zip is written to an anonymous file under EVIDENCE_ROOT/tmp and streamed.
"""

from __future__ import annotations

import os
import tempfile

from django.http import FileResponse

from core.http import attachment_disposition
from evidence.models import EvidenceItem
from evidence.storage import READ_CHUNK_SIZE, evidence_store, upload_tmp_dir

SANDBOX_CSP = "sandbox; default-src 'none'"
ZIP_FORMAT = "zip"
ZIP_PASSWORD = b"infected"
# Entries at least this large are written with ZIP64 headers from the start.
ZIP64_THRESHOLD = 1024**3


def content_disposition(name: str) -> str:
    """The RFC 6266 attachment header (core.http), named "evidence" when `name` is empty."""
    return attachment_disposition(name, fallback="evidence")


def evidence_file_response(item: EvidenceItem) -> FileResponse:
    """The stored bytes, streamed in 1 MiB blocks, with the headers above."""
    stream = evidence_store().open(item.storage_key)
    return _safe_attachment(
        FileResponse(stream, content_type="application/octet-stream"),
        name=item.original_name,
        size=item.size,
    )


def evidence_zip_response(item: EvidenceItem) -> FileResponse:
    """The stored bytes as the only entry of an AES-encrypted zip (password `infected`)."""
    import pyzipper

    handle, temp_path = tempfile.mkstemp(prefix="download-", suffix=".zip", dir=upload_tmp_dir())
    output = os.fdopen(handle, "w+b")
    os.unlink(temp_path)  # the open handle keeps the bytes; nothing is left behind
    try:
        with (
            pyzipper.AESZipFile(
                output, "w", compression=pyzipper.ZIP_STORED, encryption=pyzipper.WZ_AES
            ) as archive,
            evidence_store().open(item.storage_key) as source,
        ):
            archive.setpassword(ZIP_PASSWORD)
            with archive.open(
                item.original_name, "w", force_zip64=item.size >= ZIP64_THRESHOLD
            ) as target:
                while chunk := source.read(READ_CHUNK_SIZE):
                    target.write(chunk)
        size = output.tell()
        output.seek(0)
    except BaseException:
        output.close()
        raise
    return _safe_attachment(
        FileResponse(output, content_type="application/zip"),
        name=f"{item.original_name}.zip",
        size=size,
    )


def _safe_attachment(response: FileResponse, *, name: str, size: int) -> FileResponse:
    response.block_size = READ_CHUNK_SIZE
    response["Content-Length"] = str(size)
    response["Content-Disposition"] = content_disposition(name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SANDBOX_CSP
    response["Cache-Control"] = "no-store"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


def evidence_download_response(item: EvidenceItem, download_format: str | None) -> FileResponse:
    """The raw bytes, or with `zip` the encrypted zip; ValueError for anything else."""
    if download_format in (None, "", "raw"):
        return evidence_file_response(item)
    if download_format == ZIP_FORMAT:
        return evidence_zip_response(item)
    raise ValueError("format must be 'zip' (an AES-encrypted zip, password infected) or absent.")
