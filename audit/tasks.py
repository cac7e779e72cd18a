"""The sequencer's runs and the periodic verification of the audit chain (Celery beat)."""

import logging

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError

from audit import alerts, chainhead, checkpoints, monitor, timestamps
from audit.sequencer import merge_delay, sequence_pending
from audit.services import verify_chain_incrementally

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def audit_sequence() -> int:
    """Beat every second, and a nudge after each commit that appended: give committed
    events their positions, sign a checkpoint when one is due, and alarm when an event
    has waited too long. Another run already at work makes this one return at once."""
    sequenced = 0
    try:
        sequenced = sequence_pending()
        checkpoints.publish()
    except DatabaseError:
        # Nothing of a failed batch remains; the next run starts again from the same place.
        logger.exception("audit sequencer run failed")
    # After the checkpoint's commit: the authority is reached over the network.
    timestamps.stamp_latest()
    waiting = merge_delay(sample=0).oldest_waiting_seconds
    if waiting is not None and waiting > settings.AUDIT_MERGE_DELAY_ALARM_SECONDS:
        alerts.sequencing_stalled()
    return sequenced


@shared_task(acks_late=True)
def audit_verify_chain() -> dict:
    report, checkpoint = verify_chain_incrementally()
    checkpoints.publish()
    if not report.ok:
        alerts.chain_broken(checkpoint)
    result = {"ok": report.ok, "checked": report.checked, "first_bad_id": report.first_bad_id}
    if settings.AUDIT_CHAIN_HEAD_FILE:
        heads = chainhead.verify_heads_now(settings.AUDIT_CHAIN_HEAD_FILE)
        if not heads.ok:
            alerts.chain_heads_broken(heads)
        result["heads_ok"] = heads.ok
    return result


@shared_task(ignore_result=True)
def audit_sample_resources() -> str:
    """Beat: one CPU/memory sample; a long enough spike is recorded and alerted once."""
    return monitor.resource_check()


@shared_task(ignore_result=True)
def audit_export_chain_head() -> str:
    """Beat: append the signed chain head to AUDIT_CHAIN_HEAD_FILE (when set)."""
    if not settings.AUDIT_CHAIN_HEAD_FILE:
        return "off"
    head = chainhead.export_head(settings.AUDIT_CHAIN_HEAD_FILE)
    return f"exported {head.id}" if head else "unchanged"
