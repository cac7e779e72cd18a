"""Queue messages in the outbox and deliver them.

Deliveries are recorded by the audit log's generic capture of model writes, so
this app never imports audit (DESIGN.md).
"""

from __future__ import annotations

from functools import partial
from smtplib import SMTPException

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from notifications.models import Channel, DeliveryStatus, Notification

MAX_ERROR_LENGTH = 500
ERASED_BODY = "[erased after delivery: it held a one-time link]"


@transaction.atomic
def notification_queue(
    *, recipients, subject: str, body: str, channel: str = Channel.EMAIL, sensitive: bool = False
) -> list[Notification]:
    """Put one message per recipient in the outbox; delivery starts after commit.

    A `sensitive` body (one with a one-time link) is erased from the outbox once sent.
    """
    from notifications.tasks import deliver_notification

    queued = []
    for recipient in recipients:
        notification = Notification(
            recipient=recipient,
            channel=channel,
            subject=subject[:200],
            body=body,
            sensitive=sensitive,
        )
        notification.full_clean()
        notification.save()
        transaction.on_commit(partial(deliver_notification.delay, notification_id=notification.pk))
        queued.append(notification)
    return queued


def notification_deliver(*, notification_id: int) -> Notification | None:
    """Send one queued message. Safe to run twice: a sent message is never sent again.

    Raises SMTPException/OSError on a transient failure so the task can retry.
    """
    failure: Exception | None = None
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update()
            .select_related("recipient")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None or notification.status == DeliveryStatus.SENT:
            return notification
        notification.attempts += 1
        address = notification.recipient.email
        if not address:
            notification.status = DeliveryStatus.FAILED
            notification.last_error = "The recipient has no e-mail address."
            notification.save(update_fields=["attempts", "status", "last_error"])
            return notification
        try:
            send_mail(
                notification.subject,
                notification.body,
                settings.DEFAULT_FROM_EMAIL,
                [address],
                fail_silently=False,
            )
        except (SMTPException, OSError) as error:
            # Keep the failed attempt on record (commit), then let the task retry.
            failure = error
            notification.last_error = str(error)[:MAX_ERROR_LENGTH]
            notification.save(update_fields=["attempts", "last_error"])
        else:
            notification.status = DeliveryStatus.SENT
            notification.sent_at = timezone.now()
            notification.last_error = ""
            if notification.sensitive:
                notification.body = ERASED_BODY
            notification.save(update_fields=["attempts", "status", "sent_at", "last_error", "body"])
    if failure is not None:
        raise failure
    return notification
