"""Periodic verification of the audit chain (Celery beat)."""

from celery import shared_task

from audit import alerts
from audit.services import verify_chain_incrementally


@shared_task(acks_late=True)
def audit_verify_chain() -> dict:
    report, checkpoint = verify_chain_incrementally()
    if not report.ok:
        alerts.chain_broken(checkpoint)
    return {"ok": report.ok, "checked": report.checked, "first_bad_id": report.first_bad_id}
