"""The audit log: append-only events, each chained to the previous by SHA-256."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

GENESIS_HASH = "0" * 64


class Outcome(models.TextChoices):
    SUCCESS = "success", "Success"
    FAILURE = "failure", "Failure"
    DENIED = "denied", "Denied"


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Audit events are append-only.")

    def delete(self):
        raise TypeError("Audit events are append-only.")


class AuditEvent(models.Model):
    """One security-relevant event or database write, as it happened, never edited.

    `hash` is SHA-256 over the canonical content of this event including
    `prev_hash`, so changing, deleting or inserting a row breaks the chain that
    `manage.py verify_audit_chain` walks. On PostgreSQL triggers also refuse
    UPDATE, DELETE and TRUNCATE on this table.
    """

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    action = models.CharField(max_length=64, db_index=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.SUCCESS)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_label = models.CharField(max_length=150, blank=True)
    target_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=200, blank=True)
    data = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        # Django's plain base manager would offer update() and delete() behind our back.
        base_manager_name = "objects"
        indexes = [
            models.Index(fields=["target_type", "target_id"], name="audit_event_target_idx"),
            models.Index(fields=["actor", "created_at"], name="audit_event_actor_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} by {self.actor_label or 'system'}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Audit events are append-only.")


class AuditCheckpoint(models.Model):
    """The result of one verification of the chain: verified through event N at time T,
    or broken at event N. Periodic verification continues from the last good one, and
    `verify_audit_chain` fails when an event a good one vouches for is gone or changed
    (a log cut short or emptied still links up)."""

    ok = models.BooleanField()
    verified_through_id = models.BigIntegerField(help_text="Last good event, or the first bad one.")
    verified_through_hash = models.CharField(max_length=64, blank=True)
    events_checked = models.BigIntegerField(default=0)
    reason = models.CharField(max_length=200, blank=True)
    verified_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        state = "intact" if self.ok else "BROKEN"
        return f"{state} through #{self.verified_through_id} at {self.verified_at:%Y-%m-%d %H:%M}"
