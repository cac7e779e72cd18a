"""An incident's evidence as one zip an auditor can check offline.

The package holds every stored item under its cleaned name in files/ (made unique
within the package), manifest.json (every field and hash of every item, disposed ones
included), custody.json (the chain of custody of every item, oldest first) and
SHA256SUMS, which `sha256sum -c SHA256SUMS` verifies from the package's root.

The zip is written to an anonymous file under EVIDENCE_ROOT/tmp (created, then
unlinked at once, so nothing is left behind whatever happens) and streamed from
there: never the whole package in memory, whatever the size of the evidence.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import PurePosixPath
from typing import BinaryIO

from django.http import FileResponse
from django.utils import timezone

from evidence.downloads import SANDBOX_CSP, content_disposition
from evidence.models import CustodyEvent, EvidenceItem
from evidence.selectors import incident_evidence, releasable_evidence
from evidence.storage import READ_CHUNK_SIZE, evidence_store, upload_tmp_dir
from incidents.models import Incident

FILES_DIR = "files"
MANIFEST_NAME = "manifest.json"
CUSTODY_NAME = "custody.json"
SUMS_NAME = "SHA256SUMS"
# Entries at least this large are written with ZIP64 headers from the start.
ZIP64_THRESHOLD = 1024**3


@dataclass
class ExportPackage:
    """The finished zip (an open, already unlinked file) and what went into it."""

    file: BinaryIO
    name: str
    items: list[EvidenceItem] = field(default_factory=list)
    paths: dict[int, str] = field(default_factory=dict)
    size: int = 0


def _unique_name(name: str, taken: set[str], item_id: int) -> str:
    """`name`, or `name (#id)` before the suffix when the package already has it
    (compared case-insensitively: the package may be unpacked on Windows or macOS)."""
    candidate = name
    if candidate.casefold() in taken:
        path = PurePosixPath(name)
        suffix = path.suffix if path.stem else ""
        stem = name[: len(name) - len(suffix)] if suffix else name
        candidate = f"{stem} (#{item_id}){suffix}"
        counter = 2
        while candidate.casefold() in taken:
            candidate = f"{stem} (#{item_id}-{counter}){suffix}"
            counter += 1
    taken.add(candidate.casefold())
    return candidate


def _iso(value) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def item_manifest_entry(item: EvidenceItem, path: str | None) -> dict:
    return {
        "id": item.pk,
        "incident": item.incident.reference,
        "path": path,
        "original_name": item.original_name,
        "kind": item.kind,
        "description": item.description,
        "source_host": item.source_host,
        "source_path": item.source_path,
        "collected_at": _iso(item.collected_at),
        "collected_by": item.collected_by.get_username(),
        "size": item.size,
        "receipt_sha256": item.receipt_sha256,
        "sender_sha256": item.sender_sha256,
        "sha256": item.sha256,
        "sha1": item.sha1,
        "md5": item.md5,
        "hashed_at": _iso(item.hashed_at),
        "status": item.status,
        "duplicate_of": item.duplicate_of_id,
        "disposed_at": _iso(item.disposed_at),
        "created_at": _iso(item.created_at),
        "storage_key": item.storage_key,
        "tlp": item.tlp,
    }


def custody_entry(event: CustodyEvent) -> dict:
    return {
        "id": event.pk,
        "item": event.item_id,
        "action": event.action,
        "actor": event.actor.get_username() if event.actor else None,
        "at": _iso(event.at),
        "ip": event.ip,
        "reason": event.reason,
        "sha256": event.sha256,
        "data": event.data,
    }


def _zip_info(name: str, when) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=when.astimezone(UTC).timetuple()[:6])
    info.compress_type = zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    return info


def _write_json(archive: zipfile.ZipFile, name: str, value, when) -> str:
    data = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False).encode() + b"\n"
    archive.writestr(_zip_info(name, when), data)
    return hashlib.sha256(data).hexdigest()


def build_package(*, incident: Incident, actor) -> ExportPackage:
    """Write the package to an anonymous temporary file; the caller streams and closes it."""
    now = timezone.now()
    # The items the actor sees (evidence.selectors): every item, for those who export.
    # TLP:RED items only for the incident's crew and the leads; the manifest counts the rest.
    releasable, withheld_red = releasable_evidence(
        incident_evidence(user=actor, incident=incident).order_by("pk"),
        user=actor,
        incident=incident,
    )
    items = list(releasable)
    handle, temp_path = tempfile.mkstemp(prefix="export-", suffix=".zip", dir=upload_tmp_dir())
    output = os.fdopen(handle, "w+b")
    os.unlink(temp_path)  # gone from the folder; the open handle keeps the bytes
    package = ExportPackage(file=output, name=f"{incident.reference}-evidence.zip", items=items)
    store = evidence_store()
    sums: list[tuple[str, str]] = []
    taken: set[str] = set()
    try:
        with zipfile.ZipFile(output, "w", allowZip64=True) as archive:
            for item in items:
                if item.is_disposed:
                    continue
                name = f"{FILES_DIR}/{_unique_name(item.original_name, taken, item.pk)}"
                package.paths[item.pk] = name
                with (
                    store.open(item.storage_key) as source,
                    archive.open(
                        _zip_info(name, now), "w", force_zip64=item.size >= ZIP64_THRESHOLD
                    ) as target,
                ):
                    while chunk := source.read(READ_CHUNK_SIZE):
                        target.write(chunk)
                # The recorded hash, not the one of the bytes just copied: a package whose
                # bytes changed in the vault must fail `sha256sum -c`, not hide the change.
                sums.append((item.expected_sha256, name))
            manifest = {
                "incident": {
                    "id": incident.pk,
                    "reference": incident.reference,
                    "title": incident.title,
                    "tlp": incident.tlp,
                    "pap": incident.pap,
                },
                "exported_at": _iso(now),
                "exported_by": actor.get_username(),
                "items": [item_manifest_entry(item, package.paths.get(item.pk)) for item in items],
                "withheld_tlp_red": withheld_red,
            }
            sums.append((_write_json(archive, MANIFEST_NAME, manifest, now), MANIFEST_NAME))
            custody = [
                custody_entry(event)
                for event in CustodyEvent.objects.filter(item__in=items)
                .select_related("actor")
                .order_by("item_id", "at", "id")
            ]
            sums.append((_write_json(archive, CUSTODY_NAME, custody, now), CUSTODY_NAME))
            lines = "".join(f"{digest}  {name}\n" for digest, name in sums)
            archive.writestr(_zip_info(SUMS_NAME, now), lines.encode())
        package.size = output.tell()
        output.seek(0)
    except BaseException:
        output.close()
        raise
    return package


def package_response(package: ExportPackage) -> FileResponse:
    """The package as a download: attachment, no sniffing, sandboxed, not cached."""
    response = FileResponse(package.file, content_type="application/zip")
    response.block_size = READ_CHUNK_SIZE
    response["Content-Length"] = str(package.size)
    response["Content-Disposition"] = content_disposition(package.name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SANDBOX_CSP
    response["Cache-Control"] = "no-store"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
