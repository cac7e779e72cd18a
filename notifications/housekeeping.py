"""Purging the outbox: messages delivered, and webhook deliveries finished, longer ago
than their retention. core/housekeeping.py deletes them in batches and sums each run up
in one audit event; notifications/tasks.py runs this nightly (beat).

What the audit log needs of them it already holds: each message's and delivery's
creation and status changes were captured as they happened (a message's body never in
clear), and those events are never purged. Messages not yet delivered, in-app notifications
not yet read and deliveries still to be retried are never purged, however old.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from core import housekeeping
from notifications.models import (
    DeliveryStatus,
    InAppNotification,
    Notification,
    WebhookDelivery,
    WebhookStatus,
)

FINISHED_WEBHOOK_STATUSES = (WebhookStatus.SENT, WebhookStatus.DEAD)


def notifications_purge_expired(*, now: datetime | None = None) -> dict[str, int]:
    """Delete messages NOTIFICATION_RETENTION_DAYS after they were sent, in-app
    notifications as long after they were read (unread ones stay), and webhook
    deliveries (sent or given up) WEBHOOK_DELIVERY_RETENTION_DAYS after they were queued."""
    now = now or timezone.now()
    sent_before = now - timedelta(days=settings.NOTIFICATION_RETENTION_DAYS)
    queued_before = now - timedelta(days=settings.WEBHOOK_DELIVERY_RETENTION_DAYS)
    return housekeeping.purge(
        source="notifications",
        kinds={
            "notifications": Notification.objects.filter(
                status=DeliveryStatus.SENT, sent_at__lt=sent_before
            ),
            "inapp_notifications": InAppNotification.objects.filter(read_at__lt=sent_before),
            "webhook_deliveries": WebhookDelivery.objects.filter(
                status__in=FINISHED_WEBHOOK_STATUSES, created_at__lt=queued_before
            ),
        },
    )
