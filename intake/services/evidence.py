"""An alert's attachments become evidence items of the incident it joins, through the
evidence service: stored under a random key, hashed after commit, with custody events
saying where they came from (collected from the alert's source or the mailbox, received
with the receipt SHA-256 taken when the attachment was first read). The sender's hash
given to the evidence service is that receipt, so the evidence hashing checks that the
stored bytes are the ones that arrived.

The evidence service moves bytes outside any transaction, so this runs after the
escalation or merge has committed, one attachment at a time; one that fails stays on
the alert (without an evidence item) and the alert says so."""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile

from django.db import transaction

import audit
from evidence import services as evidence_services
from evidence.models import Kind
from evidence.storage import upload_tmp_dir
from evidence.uploads import EvidenceUpload
from incidents.models import Incident
from intake.models import Alert, AlertAttachment

__all__ = ["attachments_to_evidence"]

logger = logging.getLogger(__name__)
MAILBOX = "mailbox"


def _upload(attachment: AlertAttachment) -> EvidenceUpload:
    handle = tempfile.NamedTemporaryFile(dir=upload_tmp_dir(), delete=False)  # noqa: SIM115 - EvidenceUpload closes it
    content = bytes(attachment.content)
    handle.write(content)
    handle.flush()
    os.fsync(handle.fileno())
    handle.seek(0)
    return EvidenceUpload(
        file=handle,
        name=attachment.name,
        content_type=attachment.content_type or "application/octet-stream",
        size=len(content),
        charset=None,
        receipt_sha256=hashlib.sha256(content).hexdigest(),
    )


def attachments_to_evidence(*, alerts: list[Alert], incident: Incident, actor) -> list[int]:
    """Each attachment of `alerts` not yet evidence becomes an evidence item of
    `incident`; the ids of the items made."""
    made = []
    attachments = AlertAttachment.objects.filter(
        alert__in=alerts, evidence_id__isnull=True
    ).select_related("alert")
    for attachment in attachments:
        alert = attachment.alert
        origin = MAILBOX if alert.source == "email" else alert.source
        upload = _upload(attachment)
        try:
            item = evidence_services.evidence_receive(
                incident=incident,
                actor=actor,
                uploaded_file=upload,
                kind=Kind.FILE,
                description=(
                    f"Attachment of alert #{alert.pk} from {origin}"
                    f"{f' ({alert.source_ref})' if alert.source_ref else ''}; SHA-256 "
                    f"receipt {attachment.receipt_sha256} taken when it was read."
                ),
                source_host=origin[:255],
                source_path=f"alert-{alert.pk}/{attachment.name}"[:1000],
                sender_sha256=attachment.receipt_sha256,
            )
        except Exception as error:
            logger.exception(
                "Attachment %s of alert %s not stored as evidence", attachment.pk, alert.pk
            )
            _note_failure(attachment, error)
            continue
        finally:
            upload.close()
        with transaction.atomic():
            AlertAttachment.objects.filter(pk=attachment.pk).update(evidence_id=item.pk)
        made.append(item.pk)
    return made


@transaction.atomic
def _note_failure(attachment: AlertAttachment, error: Exception) -> None:
    alert = Alert.objects.select_for_update().get(pk=attachment.alert_id)
    note = f"Attachment “{attachment.name}” could not become evidence: {type(error).__name__}."
    alert.notes = f"{alert.notes}\n{note}".strip()
    alert.save(update_fields=["notes"])
    audit.record(
        "alert.attachment_failed",
        actor=None,
        target=alert,
        data={"attachment": attachment.pk, "error": type(error).__name__},
        outcome="failure",
    )
