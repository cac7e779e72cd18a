"""Periodic verification of the audit chain (Celery beat)."""

from celery import shared_task
from django.conf import settings

from audit import alerts, chainhead, monitor
from audit.services import verify_chain_incrementally


@shared_task(acks_late=True)
def audit_verify_chain() -> dict:
    report, checkpoint = verify_chain_incrementally()
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
