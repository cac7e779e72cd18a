"""Disclosures: what the organisation tells users and authorities about an incident,
every version of the text, who approved which exact version, and what went out."""

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.capture import CapturedModel, CapturedQuerySet
from core.dates import validate_event_time
from core.text import MultilineTextField, ShortTextField
from disclosures.lifecycle import DisclosureStatus
from incidents.models import Incident


class Audience(models.TextChoices):
    USERS = "users", "Users (affected people)"
    REGULATOR = "regulator", "Regulator"
    LAW_ENFORCEMENT = "law_enforcement", "Law enforcement"
    PARTNERS = "partners", "Partners"
    INTERNAL = "internal", "Internal"


class Regime(models.TextChoices):
    GDPR_ART33 = "gdpr_art33", "GDPR Art. 33 (supervisory authority)"
    GDPR_ART34 = "gdpr_art34", "GDPR Art. 34 (data subjects)"
    NIS2 = "nis2", "NIS2 Art. 23"
    SEC_8K = "sec_8k", "SEC Form 8-K Item 1.05"
    HIPAA = "hipaa", "HIPAA breach notification"
    NONE = "none", "No regulatory regime"


class ApprovalRole(models.TextChoices):
    MANAGER = "manager", "Manager"
    LEGAL = "legal", "Legal"


def body_sha256(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


class ImmutableRecord(Exception):
    """An attempt to change or delete a record that is kept as it was written."""


class DisclosureWithoutVersion(LookupError):
    """A disclosure read before its first version was written (a broken invariant)."""


class AppendOnlyQuerySet(CapturedQuerySet):
    """Bulk update and delete would bypass the models' refusals: refuse them too."""

    def update(self, **kwargs):
        raise ImmutableRecord(f"{self.model.__name__} rows are never changed.")

    def delete(self):
        raise ImmutableRecord(f"{self.model.__name__} rows are never deleted.")


class Disclosure(CapturedModel):
    """One notice about an incident to one audience under one regulatory regime."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="disclosures")
    audience = models.CharField(max_length=16, choices=Audience.choices)
    regime = models.CharField(max_length=16, choices=Regime.choices, default=Regime.NONE)
    status = models.CharField(
        max_length=16,
        choices=DisclosureStatus.choices,
        default=DisclosureStatus.DRAFT,
        db_index=True,
    )
    current_version = models.ForeignKey(
        "DisclosureVersion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    materiality_determined_at = models.DateTimeField(
        null=True,
        blank=True,
        validators=[validate_event_time],
        help_text="SEC: when the incident was determined to be material (starts the 8-K clock).",
    )
    late_reason = MultilineTextField(
        blank=True, help_text="Why the notice went out after its legal deadline."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        permissions = [
            ("approve_disclosure", "Can approve a disclosure as management"),
            ("approve_disclosure_legal", "Can approve a disclosure as legal"),
            ("publish_disclosure", "Can record that an approved disclosure went out"),
        ]

    def __str__(self) -> str:
        return f"{self.get_audience_display()} notice ({self.get_regime_display()})"

    def require_current_version(self) -> "DisclosureVersion":
        """The current version. disclosure_create writes the first one in the transaction
        that creates the disclosure, so only inside it is current_version ever None."""
        if self.current_version is None:
            raise DisclosureWithoutVersion(f"Disclosure {self.pk} has no version yet.")
        return self.current_version


class DisclosureVersion(CapturedModel):
    """One text of a disclosure as someone wrote it. Never changed, never deleted."""

    disclosure = models.ForeignKey(Disclosure, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    body = models.TextField()
    sha256 = models.CharField(max_length=64, editable=False)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["disclosure", "number"]
        base_manager_name = "objects"
        constraints = [
            models.UniqueConstraint(
                fields=["disclosure", "number"], name="%(app_label)s_%(class)s_unique_number"
            ),
        ]

    def __str__(self) -> str:
        return f"version {self.number}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableRecord("A disclosure version is never changed; write a new one.")
        self.sha256 = body_sha256(self.body)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRecord("A disclosure version is never deleted.")


class Approval(CapturedModel):
    """A person's approval of one exact version (by the hash of its text).

    Written once; the only later change is voiding it, when the text is edited.
    """

    disclosure = models.ForeignKey(Disclosure, on_delete=models.PROTECT, related_name="approvals")
    version = models.ForeignKey(
        DisclosureVersion, on_delete=models.PROTECT, related_name="approvals"
    )
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField(max_length=16, choices=ApprovalRole.choices)
    body_sha256 = models.CharField(max_length=64)
    approved_at = models.DateTimeField(default=timezone.now)
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["approved_at", "id"]
        constraints = [
            # Two simultaneous approvals in the same role cannot both count.
            models.UniqueConstraint(
                fields=["version", "role"],
                condition=Q(voided_at__isnull=True),
                name="%(app_label)s_%(class)s_one_standing_per_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} approval of version {self.version_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            kept = type(self)._base_manager.get(pk=self.pk)
            if kept.voided_at is not None or any(
                getattr(kept, name) != getattr(self, name)
                for name in ("version_id", "approver_id", "role", "body_sha256", "approved_at")
            ):
                raise ImmutableRecord("An approval is only ever voided, never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRecord("An approval is never deleted; it is voided.")

    @property
    def is_standing(self) -> bool:
        return self.voided_at is None


class Publication(CapturedModel):
    """The record that an approved version went out: what, where, to whom, when, by whom."""

    disclosure = models.ForeignKey(
        Disclosure, on_delete=models.PROTECT, related_name="publications"
    )
    version = models.ForeignKey(
        DisclosureVersion, on_delete=models.PROTECT, related_name="publications"
    )
    body_sha256 = models.CharField(max_length=64)
    channel = ShortTextField(max_length=200, help_text="One line: how it went out.")
    recipients = MultilineTextField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(default=timezone.now)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["published_at", "id"]
        base_manager_name = "objects"

    def __str__(self) -> str:
        return f"Published via {self.channel} at {self.published_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableRecord("A publication record is never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRecord("A publication record is never deleted.")


class ReminderSent(CapturedModel):
    """That the reminder for one point of one deadline of a disclosure went out (once)."""

    disclosure = models.ForeignKey(Disclosure, on_delete=models.CASCADE, related_name="reminders")
    deadline = models.CharField(max_length=64)
    point = models.CharField(max_length=16)
    due_at = models.DateTimeField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["sent_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["disclosure", "deadline", "point"],
                name="%(app_label)s_%(class)s_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.deadline} {self.point} reminder"


class DisclosureTemplate(CapturedModel):
    """The frame of a new draft for one audience and regime, kept up by the leads.

    `$placeholders` are filled from the incident's facts (disclosures.prefill).
    """

    audience = models.CharField(max_length=16, choices=Audience.choices)
    regime = models.CharField(max_length=16, choices=Regime.choices)
    body = models.TextField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["audience", "regime"]
        constraints = [
            models.UniqueConstraint(
                fields=["audience", "regime"], name="%(app_label)s_%(class)s_unique_pair"
            ),
        ]

    def __str__(self) -> str:
        return f"Template for {self.get_audience_display()} / {self.get_regime_display()}"
