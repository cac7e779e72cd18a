"""Celery tasks for notifications: thin, idempotent, retried with backoff."""

from smtplib import SMTPException

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from notifications import housekeeping, services
from notifications.models import WebhookStatus

MAX_DELIVERY_RETRIES = 6
MAX_PURGE_RETRIES = 3


@shared_task(
    autoretry_for=(SMTPException, OSError),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=MAX_DELIVERY_RETRIES,
)
def deliver_notification(notification_id: int) -> None:
    services.notification_deliver(notification_id=notification_id)


@shared_task(bind=True)
def deliver_webhook(self, delivery_pk: int) -> str | None:
    """One try; a failure schedules the next try itself (backoff with jitter), and the
    beat sweep re-queues any retry whose message was lost."""
    delivery = services.webhook_deliver(delivery_pk=delivery_pk)
    if delivery is None:
        return None
    retry_at = delivery.next_attempt_at  # webhook_deliver sets it on every failure
    if (
        delivery.status == WebhookStatus.FAILED
        and retry_at is not None
        and not self.request.is_eager
    ):
        countdown = max(0.0, (retry_at - timezone.now()).total_seconds())
        deliver_webhook.apply_async(kwargs={"delivery_pk": delivery_pk}, countdown=countdown)
    return delivery.status


@shared_task
def retry_due_webhooks() -> int:
    due = services.webhooks_due()
    for delivery_pk in due:
        deliver_webhook.delay(delivery_pk=delivery_pk)
    return len(due)


@shared_task(
    ignore_result=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=MAX_PURGE_RETRIES,
)
def notifications_purge_expired() -> dict[str, int]:
    """Beat, nightly: delivered messages and finished webhook deliveries past retention."""
    return housekeeping.notifications_purge_expired()
