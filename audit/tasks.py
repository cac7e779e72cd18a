"""Periodic verification of the audit chain (Celery beat)."""

from celery import shared_task

from audit import alerts, monitor
from audit.services import verify_chain_incrementally


@shared_task(acks_late=True)
def audit_verify_chain() -> dict:
    report, checkpoint = verify_chain_incrementally()
    if not report.ok:
        alerts.chain_broken(checkpoint)
    return {"ok": report.ok, "checked": report.checked, "first_bad_id": report.first_bad_id}


@shared_task(ignore_result=True)
def audit_sample_resources() -> str:
    """Beat: one CPU/memory sample; a long enough spike is recorded and alerted once."""
    return monitor.resource_check()
