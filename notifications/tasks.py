"""Celery tasks for notifications: thin, idempotent, retried with backoff."""

from smtplib import SMTPException

from celery import shared_task

from notifications import services

MAX_DELIVERY_RETRIES = 6


@shared_task(
    autoretry_for=(SMTPException, OSError),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=MAX_DELIVERY_RETRIES,
)
def deliver_notification(notification_id: int) -> None:
    services.notification_deliver(notification_id=notification_id)
