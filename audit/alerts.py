"""Alerts raised by the audit app, sent through notifications to those who read the log."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Q

import audit
from audit.models import AuditCheckpoint, AuditEvent
from notifications.models import WebhookEvent
from notifications.services import notification_queue, webhook_publish

# Names in notifications.events (who gets them by default) and of the webhook events.
CHAIN_BROKEN_EVENT = "audit.chain_broken"
RESOURCE_SPIKE_EVENT = "resource.spike"
CHAIN_HEADS_BROKEN_ACTION = "audit.chain_heads_broken"


def audit_readers():
    """Active people allowed to read the audit log (the auditor and lead roles)."""
    permission = Permission.objects.filter(
        codename="view_auditevent", content_type__app_label="audit"
    )
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(is_superuser=True)
            | Q(groups__permissions__in=permission)
            | Q(user_permissions__in=permission)
        )
        .distinct()
    )


def chain_broken(checkpoint: AuditCheckpoint) -> None:
    """Alert once per break: a later run that finds the same bad event stays quiet."""
    already = (
        AuditCheckpoint.objects.filter(ok=False, verified_through_id=checkpoint.verified_through_id)
        .exclude(pk=checkpoint.pk)
        .exists()
    )
    if already:
        return
    subject = f"[Cordon] AUDIT CHAIN BROKEN at event {checkpoint.verified_through_id}"
    body = (
        f"Periodic verification found the audit log changed at event "
        f"{checkpoint.verified_through_id}: {checkpoint.reason}.\n"
        "Run `manage.py verify_audit_chain` and treat this as a security incident.\n"
    )
    data = {"event_id": checkpoint.verified_through_id, "reason": checkpoint.reason}
    _raise_chain_alarm(subject=subject, body=body, data=data)


def chain_heads_broken(report) -> bool:
    """Alert once per finding of `verify_audit_chain --heads` run by beat (a cut-off or
    rewritten tail, a forged or unreadable head line, a stale or missing file)."""
    data = {"line": report.line, "head_id": report.head_id, "reason": report.reason}
    already = AuditEvent.objects.filter(action=CHAIN_HEADS_BROKEN_ACTION, data=data).exists()
    if already:
        return False
    subject = "[Cordon] AUDIT CHAIN HEADS do not match the log"
    body = (
        f"Periodic verification of the signed chain heads failed: {report.reason}"
        f"{f' (line {report.line})' if report.line else ''}.\n"
        "Run `manage.py verify_audit_chain --heads FILE` and treat this as a security "
        "incident: the newest audit events may have been removed.\n"
    )
    audit.record(CHAIN_HEADS_BROKEN_ACTION, data=data, outcome="failure")
    _raise_chain_alarm(subject=subject, body=body, data=data, record=False)
    return True


def _raise_chain_alarm(*, subject: str, body: str, data: dict, record: bool = True) -> None:
    if record:
        # In the log itself too (appended after the break: the chain goes on from there).
        audit.record(CHAIN_BROKEN_EVENT, data=data, outcome="failure")
    notification_queue(
        recipients=audit_readers(),
        subject=subject,
        body=body,
        event=CHAIN_BROKEN_EVENT,  # mandatory: no preference turns it off
    )
    webhook_publish(event=WebhookEvent.AUDIT_CHAIN_BROKEN, subject=subject, text=body, data=data)


def resource_spike(data: dict) -> None:
    """One alert per episode (audit.monitor decides when)."""
    sample = data["sample"]
    subject = f"[Cordon] Resource spike: {', '.join(data['over'])} for {data['seconds']} s"
    body = (
        f"Machine CPU {sample['machine_cpu']}%, memory {sample['machine_memory']}%; "
        f"Cordon's processes CPU {sample['process_cpu']}%, memory {sample['process_memory']}%.\n"
        f"Thresholds: CPU {data['thresholds']['cpu_percent']}%, "
        f"memory {data['thresholds']['memory_percent']}% for {data['thresholds']['seconds']} s.\n"
    )
    notification_queue(
        recipients=audit_readers(), subject=subject, body=body, event=RESOURCE_SPIKE_EVENT
    )
    webhook_publish(event=WebhookEvent.RESOURCE_SPIKE, subject=subject, text=body, data=data)
