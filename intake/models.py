"""Alerts: what monitoring systems, scripts and mailboxes report before anyone has
decided it is an incident, and the rules that suppress the noise.

An alert is deduplicated on its `dedup_key` (a unique column): the SHA-256 of its
source and source reference, or, without a reference, of its fingerprint (source,
type, normalised title and sorted observables). A repeat raises `count` and
`last_seen` instead of adding a row (intake.services.alerts_receive).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.capture import CapturedModel
from core.dates import validate_event_time
from core.text import MultilineTextField
from incidents.models import Incident, Severity
from observables.values.kinds import TYPE_MAX_LENGTH, ObservableType

SOURCE_MAX_LENGTH = 64
SOURCE_REF_MAX_LENGTH = 255
TITLE_MAX_LENGTH = 200
TYPE_NAME_MAX_LENGTH = 64
DIGEST_LENGTH = 64
REASON_MAX_LENGTH = 2000


class AlertStatus(models.TextChoices):
    NEW = "new", "New"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    IGNORED = "ignored", "Ignored"
    ESCALATED = "escalated", "Escalated"
    MERGED = "merged", "Merged"


# Triage moves an alert between these; escalated and merged alerts leave the queue
# (un-merge brings a merged one back as acknowledged).
OPEN_STATUSES = (AlertStatus.NEW, AlertStatus.ACKNOWLEDGED)
TRIAGE_TRANSITIONS: dict[str, frozenset[str]] = {
    AlertStatus.NEW: frozenset(
        {AlertStatus.ACKNOWLEDGED, AlertStatus.IGNORED, AlertStatus.ESCALATED, AlertStatus.MERGED}
    ),
    AlertStatus.ACKNOWLEDGED: frozenset(
        {AlertStatus.IGNORED, AlertStatus.ESCALATED, AlertStatus.MERGED}
    ),
    AlertStatus.IGNORED: frozenset({AlertStatus.ACKNOWLEDGED}),
    AlertStatus.ESCALATED: frozenset(),
    AlertStatus.MERGED: frozenset({AlertStatus.ACKNOWLEDGED}),
}


class SuppressionRule(CapturedModel):
    """A lead's decision that alerts matching some facts are known noise for a while:
    they are still recorded, as `ignored` by this rule, and counted."""

    source = models.CharField(max_length=SOURCE_MAX_LENGTH, blank=True)
    type = models.CharField(max_length=TYPE_NAME_MAX_LENGTH, blank=True)
    severity = models.CharField(max_length=16, choices=Severity.choices, blank=True)
    observable_value = models.CharField(
        max_length=512, blank=True, help_text="Matches an alert holding this normalised value."
    )
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=REASON_MAX_LENGTH)
    hits = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta(CapturedModel.Meta):
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=~(Q(source="") & Q(type="") & Q(severity="") & Q(observable_value="")),
                name="%(app_label)s_%(class)s_matches_something",
            ),
        ]

    def __str__(self) -> str:
        return f"Suppression #{self.pk}: {self.reason}"


class Alert(CapturedModel):
    """One thing a monitoring system, a script or a mailbox reported, however many
    times it reported it, and what triage made of it."""

    source = models.CharField(max_length=SOURCE_MAX_LENGTH)
    source_ref = models.CharField(max_length=SOURCE_REF_MAX_LENGTH, blank=True)
    dedup_key = models.CharField(max_length=DIGEST_LENGTH, editable=False)
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    description = MultilineTextField(blank=True)
    severity = models.CharField(max_length=16, choices=Severity.choices, default=Severity.MEDIUM)
    type = models.CharField(max_length=TYPE_NAME_MAX_LENGTH, blank=True)
    observed_at = models.DateTimeField(null=True, blank=True, validators=[validate_event_time])
    raw_payload = models.TextField(
        blank=True, help_text="The body as received (cut at INTAKE_RAW_MAX_BYTES); text only."
    )
    status = models.CharField(max_length=16, choices=AlertStatus.choices, default=AlertStatus.NEW)
    ignore_reason = models.CharField(max_length=REASON_MAX_LENGTH, blank=True)
    suppressed_by = models.ForeignKey(
        SuppressionRule,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="alerts",
    )
    count = models.PositiveIntegerField(default=1)
    first_seen = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)
    incident = models.ForeignKey(
        Incident,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="alerts",
        help_text="The incident it became (escalated) or joined (merged).",
    )
    notes = MultilineTextField(blank=True, help_text="What intake noted (a refused attachment).")
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Whose token (or mailbox account) sent it first.",
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta(CapturedModel.Meta):
        ordering = ["-last_seen", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["dedup_key"], name="%(app_label)s_%(class)s_dedup"),
            models.CheckConstraint(
                condition=Q(status__in=AlertStatus.values),
                name="%(app_label)s_%(class)s_status_known",
            ),
            models.CheckConstraint(condition=Q(count__gte=1), name="%(app_label)s_%(class)s_count"),
        ]
        indexes = [
            models.Index(fields=["-last_seen", "-id"], name="intake_alert_queue_idx"),
            models.Index(fields=["status", "-last_seen"], name="intake_alert_status_idx"),
            models.Index(fields=["sender", "-last_seen"], name="intake_alert_sender_idx"),
        ]

    def __str__(self) -> str:
        return f"Alert #{self.pk}: {self.title}"


class AlertObservable(CapturedModel):
    """A value an alert carried, validated and normalised as the observables app does;
    it becomes an observable of the incident the alert is escalated or merged into."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="observables")
    type = models.CharField(max_length=TYPE_MAX_LENGTH, choices=ObservableType.choices)
    value = models.TextField()
    normalized_value = models.TextField()
    value_digest = models.CharField(max_length=DIGEST_LENGTH)
    proposed = models.BooleanField(
        default=False, help_text="Extracted by intake (a forwarded mail), not sent as such."
    )
    created_observable_id = models.PositiveBigIntegerField(
        null=True,
        blank=True,
        help_text="The incident's observable that joining the incident created for it "
        "(un-merge removes it again when nothing else holds it).",
    )

    class Meta(CapturedModel.Meta):
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["alert", "type", "value_digest"],
                name="%(app_label)s_%(class)s_unique_per_alert",
            ),
        ]
        indexes = [models.Index(fields=["type", "value_digest"], name="intake_obs_value_idx")]

    def __str__(self) -> str:
        return f"{self.type} {self.normalized_value}"


class AlertAttachment(CapturedModel):
    """A file that came with an alert (a mail's attachment), kept with the SHA-256 taken
    as its bytes were read (the receipt). Escalation makes it an evidence item, whose
    own hashing must find the same SHA-256."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="attachments")
    name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=255, blank=True)
    size = models.PositiveBigIntegerField()
    receipt_sha256 = models.CharField(max_length=DIGEST_LENGTH)
    content = models.BinaryField(help_text="The bytes (at most INTAKE_ATTACHMENT_MAX_BYTES).")
    evidence_id = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="The evidence item it became on escalation."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta(CapturedModel.Meta):
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name
