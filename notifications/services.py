"""Queue messages in the outbox and deliver them.

Deliveries are recorded by the audit log's generic capture of model writes, so
this app never imports audit (DESIGN.md).
"""

from __future__ import annotations

import http.client
import secrets
from datetime import timedelta
from functools import partial
from smtplib import SMTPException

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from notifications import webhooks
from notifications.events import ADDRESSED, EVENTS, get_event
from notifications.inapp import inapp_create
from notifications.messages import Message
from notifications.models import (
    Channel,
    DeliveryStatus,
    Notification,
    NotificationPreference,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookStatus,
)

MAX_ERROR_LENGTH = 500
ERASED_BODY = "[erased after delivery: it held a one-time link]"


def _roles_of(user_ids) -> dict[int, set[str]]:
    """Group (role) names of each person, in one query."""
    memberships = get_user_model().groups.through.objects.filter(user_id__in=user_ids)
    roles: dict[int, set[str]] = {}
    for user_id, group in memberships.values_list("user_id", "group__name"):
        roles.setdefault(user_id, set()).add(group)
    return roles


def wanted_by(recipients, event: str) -> list:
    """Those of `recipients` who get `event` (notifications.events): a mandatory event
    goes to all; otherwise each person's own choice, or the event's default for their
    roles. Two queries whatever the number of people."""
    definition = get_event(event)
    recipients = list(recipients)
    if definition.mandatory:
        return recipients
    ids = [recipient.pk for recipient in recipients]
    chosen = dict(
        NotificationPreference.objects.filter(user_id__in=ids, event=event).values_list(
            "user_id", "email"
        )
    )
    roles = {} if definition.default_roles is ADDRESSED else _roles_of(ids)
    return [
        recipient
        for recipient in recipients
        if chosen.get(recipient.pk, definition.on_by_default(roles.get(recipient.pk, ())))
    ]


@transaction.atomic
def notification_queue(
    *,
    recipients,
    message: Message | None = None,
    subject: str = "",
    body: str = "",
    html_body: str = "",
    channel: str = Channel.EMAIL,
    sensitive: bool = False,
    event: str = "",
    to_address: str = "",
) -> list[Notification]:
    """Put one message per recipient in the outbox; delivery starts after commit.

    `recipients` are the candidates the sender picked (a crew, an assignee, the
    managers). With an `event` name (one of notifications.events.EVENTS; ValueError
    otherwise) only those who want it get it: their choice, or the default of their
    role; mandatory events go to all. Without one (invitations, password resets) every
    recipient gets it.

    The text is `message`, as notifications.messages.render_message made it (subject,
    text and HTML part); `subject`, `body` and `html_body` are for a caller that has its
    text already (a test). A `sensitive` message (one with a one-time link) is erased
    from the outbox once sent, both parts.
    `to_address` sends to that address instead of the recipient's own (the link that
    verifies a new address goes to the new address).

    A message with an `event` (not sensitive, not to another address) is also put in
    each recipient's in-app list (the bell, notifications.inapp).
    """
    from notifications.tasks import deliver_notification

    if message is not None:
        subject, body, html_body = message
    recipients = wanted_by(recipients, event) if event else list(recipients)
    queued = []
    for recipient in recipients:
        notification = Notification(
            recipient=recipient,
            channel=channel,
            event=event,
            subject=subject[:200],
            body=body,
            html_body=html_body,
            sensitive=sensitive,
            to_address=to_address,
        )
        # The recipient was just read: checking that the row exists would be a query.
        notification.full_clean(exclude=["recipient"])
        notification.save()
        transaction.on_commit(partial(deliver_notification.delay, notification_id=notification.pk))
        queued.append(notification)
    if event and not sensitive and not to_address:
        # The bell: the same event to the same people (notifications.inapp).
        inapp_create(
            recipients=recipients,
            event=event,
            subject=subject,
            link=getattr(message, "link", ""),
            about=getattr(message, "about", None),
        )
    return queued


def _email_of(notification: Notification, address: str) -> EmailMultiAlternatives:
    """The e-mail of an outbox row: its text, and its HTML part as the alternative."""
    email = EmailMultiAlternatives(
        notification.subject, notification.body, settings.DEFAULT_FROM_EMAIL, [address]
    )
    if notification.html_body:
        email.attach_alternative(notification.html_body, "text/html")
    return email


def notification_deliver(*, notification_id: int) -> Notification | None:
    """Send one queued message. Safe to run twice: a sent message is never sent again.

    Raises SMTPException/OSError on a transient failure so the task can retry.
    """
    failure: Exception | None = None
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(no_key=True, of=("self",))
            .select_related("recipient")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None or notification.status == DeliveryStatus.SENT:
            return notification
        notification.attempts += 1
        address = notification.to_address or notification.recipient.email
        if not address:
            notification.status = DeliveryStatus.FAILED
            notification.last_error = "The recipient has no e-mail address."
            notification.save(update_fields=["attempts", "status", "last_error"])
            return notification
        try:
            _email_of(notification, address).send(fail_silently=False)
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
                notification.html_body = ""
            notification.save(
                update_fields=["attempts", "status", "sent_at", "last_error", "body", "html_body"]
            )
    if failure is not None:
        raise failure
    return notification


# --- Webhooks -----------------------------------------------------------------

WEBHOOK_SECRET_BYTES = 32
_jitter = secrets.SystemRandom()


@transaction.atomic
def webhook_endpoint_create(
    *, name: str, url: str, events: list[str], created_by=None, active: bool = True
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its signing secret, which the caller shows once."""
    secret = secrets.token_urlsafe(WEBHOOK_SECRET_BYTES)
    endpoint = WebhookEndpoint(
        name=name,
        url=url,
        secret=secret,
        events=sorted(set(events)),
        active=active,
        created_by=created_by,
    )
    endpoint.full_clean()  # the SSRF guard too, as an error of the `url` field
    endpoint.save()
    return endpoint, secret


@transaction.atomic
def webhook_endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    endpoint.delete()


@transaction.atomic
def webhook_publish(
    *, event: str, subject: str, text: str = "", data: dict | None = None
) -> list[WebhookDelivery]:
    """One delivery per active endpoint subscribed to `event`; sending starts after commit."""
    from notifications.tasks import deliver_webhook

    deliveries = []
    for endpoint in WebhookEndpoint.objects.filter(active=True):
        if not endpoint.subscribes_to(event):
            continue
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint, event=event, subject=subject[:200], text=text, data=data or {}
        )
        transaction.on_commit(partial(deliver_webhook.delay, delivery_pk=delivery.pk))
        deliveries.append(delivery)
    return deliveries


def webhook_retry_delay(attempts: int) -> float:
    """Exponential backoff with jitter: base * 2^(attempts-1), capped, then between half
    and all of it, so receivers coming back up are not hit by every sender at once."""
    base = settings.NOTIFICATIONS_WEBHOOK_RETRY_BASE_SECONDS
    ceiling = min(settings.NOTIFICATIONS_WEBHOOK_RETRY_MAX_SECONDS, base * 2 ** (attempts - 1))
    return ceiling / 2 + _jitter.uniform(0, ceiling / 2)


def webhook_deliver(*, delivery_pk: int) -> WebhookDelivery | None:
    """Try one delivery once, if it is due. Safe to run any number of times: a delivery
    acknowledged (2xx) is marked sent in the same transaction that holds its row lock,
    so no later run posts it again; a dead one is never tried again.

    The receiver may still see a POST twice if this process dies between its 2xx and
    our commit: the Idempotency-Key header (the delivery id) lets it drop the copy.
    """
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(no_key=True, of=("self",))
            .select_related("endpoint")
            .filter(pk=delivery_pk)
            .first()
        )
        if delivery is None or delivery.status in (WebhookStatus.SENT, WebhookStatus.DEAD):
            return delivery
        now = timezone.now()
        if delivery.next_attempt_at is not None and delivery.next_attempt_at > now:
            return delivery
        endpoint = delivery.endpoint
        delivery.attempts += 1
        error = ""
        status_code = None
        try:
            response = webhooks.post_json(
                url=endpoint.url,
                payload=delivery.payload(),
                secret=endpoint.secret,
                delivery_id=str(delivery.delivery_id),
                timestamp=str(int(now.timestamp())),
            )
        except webhooks.WebhookTargetRefused as refused:
            error = f"refused: {refused}"
        except (OSError, http.client.HTTPException) as failure:
            error = f"{type(failure).__name__}: {failure}"
        else:
            status_code = response.status
            if not 200 <= response.status < 300:
                error = f"HTTP {response.status}: {response.body[:200]}"
        delivery.last_status_code = status_code
        delivery.last_error = error[:MAX_ERROR_LENGTH]
        if not error:
            delivery.status = WebhookStatus.SENT
            delivery.sent_at = timezone.now()
            delivery.next_attempt_at = None
        elif delivery.attempts >= settings.NOTIFICATIONS_WEBHOOK_MAX_ATTEMPTS:
            delivery.status = WebhookStatus.DEAD
            delivery.next_attempt_at = None
        else:
            delivery.status = WebhookStatus.FAILED
            delivery.next_attempt_at = timezone.now() + timedelta(
                seconds=webhook_retry_delay(delivery.attempts)
            )
        delivery.save(
            update_fields=[
                "attempts",
                "status",
                "sent_at",
                "last_status_code",
                "last_error",
                "next_attempt_at",
            ]
        )
    return delivery


def webhooks_due(*, now=None) -> list[int]:
    """Deliveries waiting for a retry whose time has come."""
    now = now or timezone.now()
    return list(
        WebhookDelivery.objects.filter(
            status__in=(WebhookStatus.PENDING, WebhookStatus.FAILED), next_attempt_at__lte=now
        ).values_list("pk", flat=True)
    )


@transaction.atomic
def notification_preference_set(*, user, event: str, email: bool) -> NotificationPreference:
    """Record one person's choice for one event. A mandatory event cannot be turned off."""
    if event not in EVENTS:
        raise ValidationError({"event": [f"Unknown notification event {event!r}."]})
    if EVENTS[event].mandatory and not email:
        raise ValidationError({"event": [f"{EVENTS[event].label} cannot be turned off."]})
    preference, _ = NotificationPreference.objects.update_or_create(
        user=user, event=event, defaults={"email": email}
    )
    return preference


def notification_preferences_of(*, user, roles) -> dict[str, bool]:
    """Whether `user` (whose role names are `roles`) gets each event by e-mail now: their
    choice where they made one, the default of their roles otherwise, on when mandatory."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("event", "email"))
    return {
        name: definition.mandatory or chosen.get(name, definition.on_by_default(roles))
        for name, definition in EVENTS.items()
    }
