"""Telling people of new alerts: one message per new high or critical alert, to the
people who triage (event `alert.received`; leads by default, responders may opt in)."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from accounts.roles import Role
from incidents.models import Severity
from notifications.messages import absolute_url, render_message
from notifications.services import notification_queue

NOTIFIED_SEVERITIES = (Severity.HIGH, Severity.CRITICAL)
# A flood (a list of 500 critical alerts) is the queue's to show, not the inbox's: at most
# this many messages per batch received, the most severe first.
MAX_MESSAGES_PER_BATCH = 10
TRIAGE_ROLES = (Role.LEAD, Role.RESPONDER)


def notify_new_alerts(alert_ids: list[int]) -> None:
    """Queue the messages for the new alerts among `alert_ids` (inside the receiving
    transaction: the outbox rows commit with the alerts, delivery starts after)."""
    if not alert_ids:
        return
    from intake.models import Alert

    alerts = sorted(
        Alert.objects.filter(pk__in=alert_ids, severity__in=NOTIFIED_SEVERITIES),
        key=lambda alert: (alert.severity != Severity.CRITICAL, alert.pk),
    )[:MAX_MESSAGES_PER_BATCH]
    if not alerts:
        return
    recipients = list(
        get_user_model().objects.filter(is_active=True, groups__name__in=TRIAGE_ROLES).distinct()
    )
    if not recipients:
        return
    link = absolute_url("intake:queue")
    for alert in alerts:
        notification_queue(
            recipients=recipients,
            message=render_message(
                "alert_received",
                {
                    "severity": alert.get_severity_display(),
                    "source": alert.source,
                    "title": alert.title,
                    "link": link,
                },
            ),
            event="alert.received",
        )
