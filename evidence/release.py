"""Services for evidence going to a person: its page viewed, a screenshot previewed,
its bytes downloaded, an incident's package exported. Each first checks, itself, that
the person may: the item in their sight and, for what shows the content, the download
permission (evidence.selectors holds that rule).

The chain of custody keeps what touches the bytes (a preview, a download, an export);
a look at the item's record is an `evidence.viewed` audit event only, so the custody
list says who had the evidence, not who read about it. Custody rows `viewed` written
before this rule stay, and are shown as they are.

Kept apart from evidence.services, which holds what comes into the vault and what
changes there (receipt, hashing, hold, hand-over, disposal).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction

import audit
from audit.models import AuditEvent
from evidence import selectors
from evidence.models import Action, CustodyEvent, EvidenceItem
from evidence.services import custody_record, require_item_in_sight
from incidents.models import Incident
from incidents.selectors import visible_incidents


def _require_bytes(actor) -> None:
    if not selectors.may_have_bytes(actor):
        raise PermissionDenied(f"You lack the permission {selectors.HAVE_THE_BYTES!r}.")


@transaction.atomic
def evidence_viewed(*, item: EvidenceItem, actor) -> AuditEvent:
    """Record that the item's page (record, hashes, custody) was shown to the actor: an
    audit event, not a custody event (nothing of the bytes was handed out)."""
    require_item_in_sight(actor, item)
    return audit.record(
        "evidence.viewed",
        actor=actor,
        target=item,
        data={"incident": item.incident.reference, "sha256": item.expected_sha256},
    )


@transaction.atomic
def evidence_downloaded(
    *, item: EvidenceItem, actor, channel: str, download_format: str = "raw"
) -> CustodyEvent:
    """Record that the bytes left the vault, to whom and how (api or browser; raw bytes
    or the encrypted zip)."""
    require_item_in_sight(actor, item)
    _require_bytes(actor)
    extra = {} if download_format == "raw" else {"format": download_format}
    event = custody_record(
        item=item,
        action=Action.DOWNLOADED,
        actor=actor,
        sha256=item.expected_sha256,
        channel=channel,
        **extra,
    )
    audit.record(
        "evidence.downloaded", actor=actor, target=item, data={"channel": channel, **extra}
    )
    return event


@transaction.atomic
def evidence_previewed(*, item: EvidenceItem, actor) -> CustodyEvent:
    """Record that a screenshot's preview was shown to the actor: a thumbnail of a
    screenshot shows what the screenshot shows, so it needs the bytes permission."""
    require_item_in_sight(actor, item)
    _require_bytes(actor)
    return custody_record(
        item=item, action=Action.PREVIEWED, actor=actor, sha256=item.expected_sha256
    )


def evidence_export(*, incident: Incident, actor, channel: str):
    """Build the incident's evidence package (evidence.exports: the items the actor
    sees) and record that it left the vault: an `exported` custody event per item,
    one audit event. The caller streams `package.file` and closes it.

    Needs the export and the download permissions (selectors.may_export)."""
    from evidence.exports import build_package

    if actor is None or not selectors.may_export(actor):
        raise PermissionDenied("You may not export evidence.")
    if not visible_incidents(actor).filter(pk=incident.pk).exists():
        raise PermissionDenied("This incident is not in your sight.")
    package = build_package(incident=incident, actor=actor)
    try:
        with transaction.atomic():
            for item in package.items:
                custody_record(
                    item=item,
                    action=Action.EXPORTED,
                    actor=actor,
                    sha256=item.expected_sha256,
                    channel=channel,
                    package=package.name,
                    included=item.pk in package.paths,
                )
            audit.record(
                "evidence.exported",
                actor=actor,
                target=incident,
                data={
                    "channel": channel,
                    "package": package.name,
                    "items": [item.pk for item in package.items],
                    "files": len(package.paths),
                    "size": package.size,
                },
            )
    except BaseException:
        package.file.close()
        raise
    return package
