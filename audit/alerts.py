"""Alerts raised by the audit app, sent through notifications to those who read the log."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Q

import audit
from audit.models import AuditCheckpoint, AuditEvent
from notifications.messages import Message, render_message
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
    data = {"event_id": checkpoint.verified_through_id, "reason": checkpoint.reason}
    _raise_chain_alarm(message=render_message("audit_chain_broken", data), data=data)


def chain_heads_broken(report) -> bool:
    """Alert once per finding of `verify_audit_chain --heads` run by beat (a cut-off or
    rewritten tail, a forged or unreadable head line, a stale or missing file)."""
    data = {"line": report.line, "head_id": report.head_id, "reason": report.reason}
    already = AuditEvent.objects.filter(action=CHAIN_HEADS_BROKEN_ACTION, data=data).exists()
    if already:
        return False
    audit.record(CHAIN_HEADS_BROKEN_ACTION, data=data, outcome="failure")
    _raise_chain_alarm(
        message=render_message("audit_chain_heads_broken", data), data=data, record=False
    )
    return True


SEQUENCING_STALLED_ACTION = "audit.sequencing_stalled"


def sequencing_stalled() -> bool:
    """Alert once per stalled event: one has waited longer than
    AUDIT_MERGE_DELAY_ALARM_SECONDS for a position (is the sequencer running?)."""
    from audit.sequencer import merge_delay

    delay = merge_delay(sample=0)
    if delay.oldest_waiting_id is None:
        return False
    data = {
        "event_id": delay.oldest_waiting_id,
        "waiting_seconds": round(delay.oldest_waiting_seconds or 0),
        "waiting_events": delay.waiting,
        "reason": "events are not being sequenced: is the sequencer (beat, a worker) running?",
    }
    if AuditEvent.objects.filter(
        action=SEQUENCING_STALLED_ACTION, data__event_id=data["event_id"]
    ).exists():
        return False
    audit.record(SEQUENCING_STALLED_ACTION, data=data, outcome="failure")
    _raise_chain_alarm(
        message=render_message("audit_sequencing_stalled", data), data=data, record=False
    )
    return True


def _raise_chain_alarm(*, message: Message, data: dict, record: bool = True) -> None:
    if record:
        # In the log itself too (appended after the break: the chain goes on from there).
        audit.record(CHAIN_BROKEN_EVENT, data=data, outcome="failure")
    notification_queue(
        recipients=audit_readers(),
        message=message,
        event=CHAIN_BROKEN_EVENT,  # mandatory: no preference turns it off
    )
    webhook_publish(
        event=WebhookEvent.AUDIT_CHAIN_BROKEN, subject=message.subject, text=message.text, data=data
    )


def resource_spike(data: dict) -> None:
    """One alert per episode (audit.monitor decides when)."""
    message = render_message("resource_spike", data)
    notification_queue(recipients=audit_readers(), message=message, event=RESOURCE_SPIKE_EVENT)
    webhook_publish(
        event=WebhookEvent.RESOURCE_SPIKE, subject=message.subject, text=message.text, data=data
    )
