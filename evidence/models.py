"""Evidence items and their chain of custody.

An item's bytes, and the hashes that describe them, never change once recorded:
the model refuses it here, the services never try, and on PostgreSQL a trigger
refuses it in the database too (migration 0002). Custody events are append-only.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.capture import CapturedModel, CapturedQuerySet
from core.dates import validate_event_time
from core.marking import TLP, TLP_MAX_LENGTH
from core.text import MultilineTextField, ShortTextField, strip_invisible
from incidents.models import Incident

MAX_NAME_LENGTH = 255
SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")
HASH_FIELDS = ("sha256", "sha1", "md5")
# Set once at receipt and never changed afterwards.
RECEIPT_FIELDS = (
    "incident_id",
    "kind",
    "original_name",
    "storage_key",
    "size",
    "receipt_sha256",
    "sender_sha256",
    "source_host",
    "source_path",
    "collected_at",
    "collected_by_id",
    "created_at",
)


class ImmutableEvidence(TypeError):
    """An attempt to change what must never change: an item's bytes, hashes or custody log."""


def clean_original_name(name: str) -> str:
    """The sender's file name as harmless metadata: the last path part only, without NUL,
    control or format characters (bidirectional overrides such as U+202E), at most 255
    characters. It is shown to people; it is never used as a path.

    Stripped rather than refused (core.text): the name is what the sender's file system
    holds, and a sample named to deceive must still be collected."""
    name = re.split(r"[/\\]", name or "")[-1]
    name = strip_invisible(name)
    name = name.strip().strip(".").strip()
    if not name:
        name = "unnamed"
    return name[:MAX_NAME_LENGTH]


def clean_source_path(path: str) -> str:
    """Where the file was on the source host, kept as harmless metadata like the file name
    (controls and invisible characters removed; the path as a whole is kept)."""
    return strip_invisible(path or "").strip()


class Kind(models.TextChoices):
    FILE = "file", "File"
    SCREENSHOT = "screenshot", "Screenshot"
    LOG = "log", "Log file"
    MEMORY_IMAGE = "memory_image", "Memory image"
    DISK_IMAGE = "disk_image", "Disk image"
    OTHER = "other", "Other"


class Status(models.TextChoices):
    PENDING = "pending", "Pending"
    VERIFIED = "verified", "Verified"
    INTEGRITY_FAILURE = "integrity_failure", "Integrity failure"


# The one table of allowed status changes. An integrity failure is never undone.
TRANSITIONS = {
    Status.PENDING: {Status.VERIFIED, Status.INTEGRITY_FAILURE},
    Status.VERIFIED: {Status.INTEGRITY_FAILURE},
    Status.INTEGRITY_FAILURE: set(),
}


class EvidenceItemQuerySet(CapturedQuerySet):
    def update(self, **kwargs):
        raise ImmutableEvidence("Evidence items change only through their services, one by one.")

    def delete(self):
        raise ImmutableEvidence("Evidence items are never deleted; dispose of the bytes instead.")


class EvidenceItem(CapturedModel):
    """One piece of evidence collected for an incident: a file, screenshot, log, memory
    or disk image, with where it came from, who collected it and its hashes."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="evidence")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.FILE)
    description = MultilineTextField(blank=True)
    source_host = ShortTextField(max_length=255, blank=True)
    source_path = models.CharField(
        max_length=4096, blank=True, help_text="Where the file was on the source host."
    )
    collected_at = models.DateTimeField(null=True, blank=True, validators=[validate_event_time])
    collected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    original_name = models.CharField(max_length=MAX_NAME_LENGTH)
    storage_key = models.CharField(max_length=64, unique=True, editable=False)
    size = models.BigIntegerField()
    receipt_sha256 = models.CharField(
        max_length=64, help_text="SHA-256 computed while the bytes arrived."
    )
    sender_sha256 = models.CharField(
        max_length=64, blank=True, help_text="SHA-256 the sender computed on its side."
    )
    sha256 = models.CharField(max_length=64, blank=True)
    sha1 = models.CharField(max_length=40, blank=True)
    md5 = models.CharField(max_length=32, blank=True)
    hashed_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="duplicates"
    )
    disposed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # A marking, not part of what was received: it may change (the services set it).
    tlp = models.CharField(
        "TLP",
        max_length=TLP_MAX_LENGTH,
        choices=TLP.choices,
        default=TLP.AMBER,
        db_default=TLP.AMBER,
        help_text="Traffic Light Protocol 2.0; by default the incident's when received.",
    )

    objects = EvidenceItemQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        base_manager_name = "objects"
        permissions = [
            ("export_evidence", "Can export an incident's evidence package"),
            ("dispose_evidence", "Can dispose of evidence bytes"),
            ("transfer_evidence", "Can record a hand-over of evidence outside Cordon"),
            ("download_evidence", "Can download, preview and export the bytes of evidence"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(size__gte=0), name="%(app_label)s_%(class)s_size_not_negative"
            ),
        ]
        indexes = [models.Index(fields=["incident", "sha256"], name="evidence_incident_sha_idx")]

    def __str__(self) -> str:
        return f"Evidence #{self.pk} {self.original_name}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            self._refuse_changes_to_what_is_fixed()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableEvidence("Evidence items are never deleted; dispose of the bytes instead.")

    def _refuse_changes_to_what_is_fixed(self) -> None:
        stored = (
            type(self)
            ._base_manager.filter(pk=self.pk)
            .values(*RECEIPT_FIELDS, *HASH_FIELDS, "status", "duplicate_of_id", "disposed_at")
            .first()
        )
        if stored is None:
            return
        changed = [name for name in RECEIPT_FIELDS if getattr(self, name) != stored[name]]
        changed += [
            name for name in HASH_FIELDS if stored[name] and getattr(self, name) != stored[name]
        ]
        if stored["duplicate_of_id"] and self.duplicate_of_id != stored["duplicate_of_id"]:
            changed.append("duplicate_of")
        if stored["disposed_at"] and self.disposed_at != stored["disposed_at"]:
            changed.append("disposed_at")
        if self.status != stored["status"] and self.status not in TRANSITIONS[stored["status"]]:
            changed.append("status")
        if changed:
            raise ImmutableEvidence(f"Evidence #{self.pk}: {', '.join(changed)} cannot change.")

    @property
    def is_disposed(self) -> bool:
        return self.disposed_at is not None

    @property
    def expected_sha256(self) -> str:
        """What the stored bytes must hash to: the verified hash, or the receipt until then."""
        return self.sha256 or self.receipt_sha256


class Action(models.TextChoices):
    COLLECTED = "collected", "Collected"
    RECEIVED = "received", "Received"
    HASHED = "hashed", "Hashed"
    VERIFIED = "verified", "Verified"
    INTEGRITY_FAILURE = "integrity_failure", "Integrity failure"
    VIEWED = "viewed", "Viewed"
    PREVIEWED = "previewed", "Previewed"
    DOWNLOADED = "downloaded", "Downloaded"
    EXPORTED = "exported", "Exported"
    TRANSFERRED = "transferred", "Transferred"
    RE_VERIFIED = "re_verified", "Re-verified"
    DISPOSED = "disposed", "Disposed"


class CustodyEventQuerySet(CapturedQuerySet):
    def update(self, **kwargs):
        raise ImmutableEvidence("Custody events are append-only.")

    def delete(self):
        raise ImmutableEvidence("Custody events are append-only.")


class CustodyEvent(CapturedModel):
    """One link in an item's chain of custody: who did what with it, when (UTC), from
    which address, why, and the item's SHA-256 at that moment. Never edited."""

    item = models.ForeignKey(EvidenceItem, on_delete=models.PROTECT, related_name="custody")
    action = models.CharField(max_length=20, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    ip = models.GenericIPAddressField(null=True, blank=True)
    reason = models.TextField(blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict, blank=True)

    objects = CustodyEventQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        base_manager_name = "objects"

    def __str__(self) -> str:
        return (
            f"{self.get_action_display()} of evidence #{self.item_id} at {self.at:%Y-%m-%d %H:%M}"
        )

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ImmutableEvidence("Custody events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableEvidence("Custody events are append-only.")


class EvidenceHold(CapturedModel):
    """A legal hold on an incident's evidence: while it is on, no item of the incident
    may be disposed of. Kept here, keyed by incident, so incidents know nothing of
    evidence. Setting and lifting it are audited with the lead's reason."""

    incident = models.OneToOneField(
        Incident, on_delete=models.PROTECT, related_name="evidence_hold"
    )
    active = models.BooleanField(default=False)
    reason = models.TextField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        permissions = [("manage_legal_hold", "Can set and lift a legal hold on evidence")]

    def __str__(self) -> str:
        state = "on" if self.active else "off"
        return f"Legal hold {state} for incident #{self.incident_id}"


class IntegrityAcknowledgement(CapturedModel):
    """One person has seen an item's integrity failure and taken it in, so it leaves the
    alarm card of their home page. Per person: nobody acknowledges an alarm for everyone
    else (whoever tampered with evidence must not be able to silence the alarm), and the
    item stays an integrity failure on its own page, in the API and in reports."""

    item = models.ForeignKey(
        EvidenceItem, on_delete=models.PROTECT, related_name="integrity_acknowledgements"
    )
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    acknowledged_at = models.DateTimeField(default=timezone.now)

    class Meta(CapturedModel.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["item", "person"], name="%(app_label)s_%(class)s_once_per_person"
            )
        ]

    def __str__(self) -> str:
        return f"Integrity failure of evidence #{self.item_id} acknowledged by #{self.person_id}"
