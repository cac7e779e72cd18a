"""The outbox: every message Cordon sends, kept until delivered and afterwards."""

import uuid

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from core.capture import CapturedModel
from notifications.webhooks import validate_webhook_url


class Channel(models.TextChoices):
    EMAIL = "email", "E-mail"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class Notification(CapturedModel):
    """One message to one person over one channel, and whether it got there."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="notifications"
    )
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.EMAIL)
    event = models.CharField(
        max_length=64, blank=True, help_text="The kind of message (notifications.events)."
    )
    to_address = models.EmailField(
        blank=True, help_text="Sent here instead of the recipient's address (a new address)."
    )
    subject = models.CharField(max_length=200)
    body = models.TextField(help_text="The text part.")
    html_body = models.TextField(
        blank=True,
        db_default="",
        help_text="The HTML part (notifications.messages), sent alongside the text.",
    )
    sensitive = models.BooleanField(
        default=False,
        help_text="The body holds a secret (a one-time link): both parts erased once sent.",
    )
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"], name="notifications_status_idx")]

    def __str__(self) -> str:
        return f"{self.subject} → {self.recipient}"


class WebhookEvent(models.TextChoices):
    """What a webhook endpoint may subscribe to."""

    AUDIT_CHAIN_BROKEN = "audit.chain_broken", "Audit chain broken"
    RESOURCE_SPIKE = "resource.spike", "CPU or memory spike"
    SECURITY_ALERT = "security.alert", "Other security alerts"
    TEST = "webhook.test", "Test message"


class WebhookEndpoint(CapturedModel):
    """A receiver (Slack, a SOAR, a pager bridge) that gets signed JSON POSTs."""

    name = models.CharField(max_length=100)
    url = models.URLField(max_length=500)
    # Kept in clear because signing needs it; shown once, redacted in the audit log.
    secret = models.CharField(max_length=128, editable=False)
    events = models.JSONField(default=list, blank=True, help_text="Subscribed event names.")
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def subscribes_to(self, event: str) -> bool:
        return event in self.events

    def clean_fields(self, exclude=None):
        """The SSRF guard on the URL, as an error of the `url` field, wherever the
        endpoint is validated (the service, the admin). Here rather than as a field
        validator so that it runs (and resolves the name) only for a well-formed URL."""
        errors = {}
        try:
            super().clean_fields(exclude=exclude)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if "url" not in errors and "url" not in (exclude or ()):
            try:
                validate_webhook_url(self.url)
            except ValidationError as error:
                errors.setdefault("url", []).extend(error.error_list)
        if errors:
            raise ValidationError(errors)


class WebhookStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed, will retry"
    DEAD = "dead", "Dead (gave up)"


class WebhookDelivery(CapturedModel):
    """One event for one endpoint, and every try to get it there."""

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    delivery_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event = models.CharField(max_length=64)
    subject = models.CharField(max_length=200)
    text = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=16, choices=WebhookStatus.choices, default=WebhookStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="notifications_webhook_due_idx")
        ]
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint}"

    def payload(self) -> dict:
        return {
            "event": self.event,
            "subject": self.subject,
            "text": f"*{self.subject}*\n{self.text}" if self.text else self.subject,
            "data": self.data,
            "id": str(self.delivery_id),
        }


class NotificationPreference(CapturedModel):
    """One person's choice for one kind of message (notifications.events): without a row
    the default of their role applies; email=False opts out, email=True opts in."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    event = models.CharField(max_length=64)
    email = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "event"], name="notifications_notificationpreference_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.event} {'on' if self.email else 'off'}"


class InAppNotification(CapturedModel):
    """One message in one person's list in Cordon (the bell): the same events, to the
    same people, as the e-mails. What it is about (`target`: the incident) is checked
    against the person's sight each time the list is read (notifications.inapp)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="inapp_notifications"
    )
    event = models.CharField(max_length=64)
    subject = models.CharField(max_length=200)
    link = models.CharField(
        max_length=500, blank=True, help_text="A path on this site, the page it is about."
    )
    target_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    target_id = models.PositiveBigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta(CapturedModel.Meta):
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["recipient", "read_at", "-created_at"],
                name="notifications_inapp_unread_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.recipient}"
