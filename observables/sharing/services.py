"""Export and import of an incident's observables: the two writes of sharing.

An export writes only its audit event (who, which incident, format, how many, the
SHA-256 of the file and the highest TLP in it); the file is built before that, so no
I/O happens inside the transaction. TLP:RED observables are left out for anyone who
is not of the incident's crew or a lead (observables.sharing.tlp), and the answer says
how many were withheld.

An import parses and checks the whole file first (ImportRefused: a 400 that writes
nothing) and then adds through observables.services.observables_add with source
`imported`, so the same limits, normalisation and audit apply.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

import audit
from core.csv import csv_lines
from core.marking import TLP, pap_label, tlp_label
from core.permissions import require_permission
from incidents.models import Incident
from incidents.selectors import may_see
from observables.models import Observable, Source
from observables.selectors import incident_observables
from observables.services import MAX_ITEMS_PER_REQUEST, Added, observables_add
from observables.sharing import misp, stix
from observables.sharing.stix import ImportRefused
from observables.sharing.tlp import highest_tlp, may_receive_red, releasable


class ExportFormat:
    STIX = "stix"
    MISP = "misp"
    CSV = "csv"
    ALL = (STIX, MISP, CSV)


CONTENT_TYPES = {
    ExportFormat.STIX: "application/stix+json;version=2.1",
    ExportFormat.MISP: "application/json",
    ExportFormat.CSV: "text/csv; charset=utf-8",
}
EXTENSIONS = {ExportFormat.STIX: "stix.json", ExportFormat.MISP: "misp.json", "csv": "csv"}
CSV_HEADER = (
    "type",
    "value",
    "normalized_value",
    "tlp",
    "pap",
    "is_ioc",
    "sighted",
    "sighted_at",
    "ignore_for_correlation",
    "tags",
    "description",
    "source",
    "first_seen",
    "last_seen",
)
# An import file, whatever its format (the request's own limit is larger).
MAX_IMPORT_BYTES = 5 * 1024**2


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    content_type: str
    filename: str
    sha256: str
    highest_tlp: str
    count: int
    withheld_red: int


def _time(value) -> str:
    return value.isoformat() if value else ""


def _csv(observables: list[Observable]) -> bytes:
    rows = (
        (
            obs.type,
            obs.value,
            obs.normalized_value,
            tlp_label(obs.tlp),
            pap_label(obs.pap),
            "yes" if obs.is_ioc else "no",
            "yes" if obs.sighted else "no",
            _time(obs.sighted_at),
            "yes" if obs.ignore_for_correlation else "no",
            " ".join(obs.tags),
            obs.description,
            obs.source,
            _time(obs.first_seen),
            _time(obs.last_seen),
        )
        for obs in observables
    )
    return "".join(csv_lines(CSV_HEADER, rows)).encode()


def _render(fmt: str, incident: Incident, observables: list[Observable], highest: str, title: str):
    if fmt == ExportFormat.STIX:
        bundle = stix.build_bundle(
            incident=incident, observables=observables, highest=highest, report_name=title
        )
        return stix.dumps(bundle)
    if fmt == ExportFormat.MISP:
        event = misp.build_event(
            incident=incident, observables=observables, highest=highest, info=title
        )
        return misp.dumps(event)
    return _csv(observables)


def observables_export(*, incident: Incident, actor, format: str) -> ExportFile:
    """The file of `incident`'s observables in `format` for `actor`, recorded."""
    require_permission(actor, "observables.view_observable")
    if not may_see(actor, incident):
        raise PermissionDenied("This incident is not in your sight.")
    if format not in ExportFormat.ALL:
        raise ValidationError({"format": [f"Choose a format from {', '.join(ExportFormat.ALL)}."]})
    everything = incident_observables(user=actor, incident=incident).order_by("id")
    observables = list(releasable(everything, user=actor, incident=incident)[:100_000])
    withheld = everything.filter(tlp=TLP.RED).count() if not may_receive_red(actor, incident) else 0
    red_incident = incident.tlp == TLP.RED and not may_receive_red(actor, incident)
    # The incident's own title travels only as far as its marking allows.
    title = incident.reference if red_incident else f"{incident.reference}: {incident.title}"
    highest = highest_tlp(
        [obs.tlp for obs in observables] + ([] if red_incident else [incident.tlp])
    )
    content = _render(format, incident, observables, highest, title)
    digest = hashlib.sha256(content).hexdigest()
    marking = TLP(highest).label.replace(":", "-").replace("+", "-")
    exported = ExportFile(
        content=content,
        content_type=CONTENT_TYPES[format],
        filename=f"{incident.reference}-observables-{marking}.{EXTENSIONS[format]}",
        sha256=digest,
        highest_tlp=highest,
        count=len(observables),
        withheld_red=withheld,
    )
    with transaction.atomic():
        audit.record(
            "observables.exported",
            actor=actor,
            target=incident,
            data={
                "incident": incident.reference,
                "format": format,
                "count": exported.count,
                "withheld_red": withheld,
                "highest_tlp": highest,
                "sha256": digest,
                "bytes": len(content),
            },
        )
    return exported


@dataclass
class ImportResult:
    format: str
    added: list[Added]
    skipped: list[str]

    @property
    def created(self) -> int:
        return sum(entry.created for entry in self.added)


def _detect(data) -> str:
    if isinstance(data, dict) and data.get("type") == "bundle":
        return ExportFormat.STIX
    if isinstance(data, dict) and ("Event" in data or "info" in data):
        return ExportFormat.MISP
    raise ImportRefused("Neither a STIX 2.1 bundle nor a MISP event.")


def parse_import(content: bytes | str | dict | list, *, format: str | None = None):
    """(format, Parsed) of a file to import, or ImportRefused naming what is wrong."""
    if isinstance(content, bytes | str):
        if len(content) > MAX_IMPORT_BYTES:
            raise ImportRefused(f"The file is larger than {MAX_IMPORT_BYTES // 1024**2} MB.")
        try:
            data = json.loads(content)
        except (ValueError, UnicodeDecodeError) as error:
            raise ImportRefused(f"The file is not JSON ({error}).") from error
    else:
        data = content
    if format not in (None, "", ExportFormat.STIX, ExportFormat.MISP):
        raise ImportRefused("Import a STIX 2.1 bundle (stix) or a MISP event (misp).")
    fmt = format or _detect(data)
    if not isinstance(data, dict):
        raise ImportRefused("The file holds no JSON object.")
    parsed = stix.parse_bundle(data) if fmt == ExportFormat.STIX else misp.parse_event(data)
    if not parsed.items:
        raise ImportRefused("The file holds no observable Cordon can keep.")
    if len(parsed.items) > MAX_ITEMS_PER_REQUEST:
        raise ImportRefused(f"At most {MAX_ITEMS_PER_REQUEST} observables at once.")
    return fmt, parsed


def observables_import(
    *, incident: Incident, actor, content, format: str | None = None
) -> ImportResult:
    """Add the observables of a STIX bundle or MISP event to `incident` (source
    `imported`); ImportRefused or ValidationError, with nothing written, otherwise."""
    require_permission(actor, "observables.add_observable")
    if not may_see(actor, incident):
        raise PermissionDenied("This incident is not in your sight.")
    fmt, parsed = parse_import(content, format=format)
    with transaction.atomic():
        added = observables_add(
            incident=incident, actor=actor, items=parsed.items, source=Source.IMPORTED
        )
        result = ImportResult(format=fmt, added=added, skipped=parsed.skipped)
        audit.record(
            "observables.imported",
            actor=actor,
            target=incident,
            data={
                "incident": incident.reference,
                "format": fmt,
                "received": len(parsed.items),
                "created": result.created,
                "skipped": len(parsed.skipped),
            },
        )
    return result
