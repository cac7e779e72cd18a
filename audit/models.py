"""The audit log: append-only events, each chained to the previous by SHA-256 and kept
in an RFC 9162 Merkle tree whose heads are signed (see audit/sequencer.py)."""

import pgtrigger
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from audit.chain import LEAF_FIELDS

GENESIS_HASH = "0" * 64


class Outcome(models.TextChoices):
    SUCCESS = "success", "Success"
    FAILURE = "failure", "Failure"
    DENIED = "denied", "Denied"


# What the PostgreSQL triggers say when they refuse a write.
APPEND_ONLY_ERROR = "RAISE EXCEPTION 'audit events are append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege'; RETURN NULL;"  # noqa: E501
TRUNCATE_ERROR = "RAISE EXCEPTION 'TRUNCATE of % refused: audit events are append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege'; RETURN NULL;"  # noqa: E501
# What never changes once written; the sequencer fills in the rest once (position,
# prev_hash, hash, sequenced_at, and leaf_hash where a row came without it).
_FIXED_COLUMNS = ("id", *LEAF_FIELDS)


def refuse_truncate() -> pgtrigger.Trigger:
    # A statement trigger: row triggers never see TRUNCATE, and it costs ordinary writes
    # nothing. Django's flush is refused too; the test harness's own gets past it
    # (tests/db_flush.py).
    return pgtrigger.Trigger(
        name="refuse_truncate",
        level=pgtrigger.Statement,
        when=pgtrigger.Before,
        operation=pgtrigger.Truncate,
        func=TRUNCATE_ERROR,
    )


def refuse_delete() -> pgtrigger.Trigger:
    return pgtrigger.Trigger(
        name="refuse_delete",
        when=pgtrigger.Before,
        operation=pgtrigger.Delete,
        func=APPEND_ONLY_ERROR,
    )


def append_only_triggers() -> list[pgtrigger.Trigger]:
    """A table whose rows are never changed once written."""
    return [
        pgtrigger.Trigger(
            name="append_only", when=pgtrigger.Before, operation=pgtrigger.Update,
            func=APPEND_ONLY_ERROR,
        ),
        refuse_delete(),
        refuse_truncate(),
    ]  # fmt: skip


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Audit events are append-only.")

    def delete(self):
        raise TypeError("Audit events are append-only.")


class AuditEvent(models.Model):
    """One security-relevant event or database write, as it happened, never edited.

    A request inserts it with `leaf_hash` (RFC 9162 leaf hash of its content) and no
    position: no lock, nothing shared with other writers. The sequencer later fills in,
    once, its `position` in the log, `prev_hash` (the hash of the event before it) and
    `hash`, SHA-256 over the canonical content including `prev_hash`; so changing,
    deleting, inserting or reordering rows breaks the chain that
    `manage.py verify_audit_chain` walks, and the Merkle roots it signed.
    On PostgreSQL triggers refuse every other UPDATE, and DELETE and TRUNCATE.
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
        db_index=False,  # audit_event_actor_idx (actor, created_at) serves it
    )
    actor_label = models.CharField(max_length=150, blank=True)
    target_type = models.ForeignKey(
        ContentType,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # audit_event_target_idx (target_type, target_id) serves it
    )
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=200, blank=True)
    data = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    leaf_hash = models.CharField(max_length=64, default="", db_default="")
    # Filled in once by the sequencer (audit/sequencer.py); empty until then.
    position = models.BigIntegerField(null=True, blank=True, unique=True)
    prev_hash = models.CharField(max_length=64, blank=True, default="")
    hash = models.CharField(max_length=64, blank=True, default="")
    sequenced_at = models.DateTimeField(null=True, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        # Django's plain base manager would offer update() and delete() behind our back.
        base_manager_name = "objects"
        indexes = [
            models.Index(fields=["target_type", "target_id"], name="audit_event_target_idx"),
            models.Index(fields=["actor", "created_at"], name="audit_event_actor_idx"),
            # What the sequencer looks for; rows leave it once sequenced.
            models.Index(
                fields=["id"],
                condition=models.Q(position__isnull=True),
                name="audit_event_unsequenced_idx",
            ),
        ]
        triggers = [
            # An UPDATE that writes any of the content (or the id) is refused whole, once
            # per statement: the sequencer's fill writes none of those columns, so it
            # pays nothing per row (comparing each row's content, its JSON above all,
            # was a seventh of the sequencer's time). A trigger that rewrote NEW behind
            # it would have to be created by someone able to drop these anyway.
            pgtrigger.Trigger(
                name="fixed_content",
                level=pgtrigger.Statement,
                when=pgtrigger.Before,
                operation=pgtrigger.UpdateOf(*_FIXED_COLUMNS),
                func=APPEND_ONLY_ERROR,
            ),
            # The one UPDATE allowed: the sequencer's fill of an unsequenced row's
            # position and hashes, once. The condition is checked without calling a
            # function, so the allowed update costs next to nothing.
            pgtrigger.Trigger(
                name="append_only",
                when=pgtrigger.Before,
                operation=pgtrigger.Update,
                condition=pgtrigger.Condition(
                    "OLD.position IS NOT NULL OR NEW.position IS NULL OR "
                    "(OLD.leaf_hash <> '' AND NEW.leaf_hash IS DISTINCT FROM OLD.leaf_hash)"
                ),
                func=APPEND_ONLY_ERROR,
            ),
            refuse_delete(),
            refuse_truncate(),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} by {self.actor_label or 'system'}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Audit events are append-only.")


class AuditTreeNode(models.Model):
    """One perfect subtree of the log's Merkle tree: the hash of leaves
    [index * 2^level, (index + 1) * 2^level). Leaves themselves (level 0) are the events'
    `leaf_hash`. Written by the sequencer as the tree grows, never changed."""

    pk = models.CompositePrimaryKey("level", "index")
    level = models.PositiveSmallIntegerField()
    index = models.BigIntegerField()
    hash = models.BinaryField(max_length=32)

    class Meta:
        triggers = append_only_triggers()

    def __str__(self) -> str:
        return f"level {self.level} #{self.index}"


class SignedCheckpoint(models.Model):
    """A signed tree head: the log's size and Merkle root at a moment, as a C2SP
    tlog-checkpoint signed note (Ed25519). Anyone with the public key can hold an
    inclusion or consistency proof against it."""

    tree_size = models.BigIntegerField(unique=True)
    root_hash = models.BinaryField(max_length=32)
    note = models.TextField()
    key_id = models.CharField(max_length=8)
    # The event at position tree_size - 1, so a log cut short names what it lost.
    last_event_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-tree_size"]
        triggers = append_only_triggers()

    def __str__(self) -> str:
        return f"checkpoint of {self.tree_size} events"


class CheckpointTimestamp(models.Model):
    """An RFC 3161 time-stamp token for a signed checkpoint, from the authority at
    AUDIT_TSA_URL: a third party's proof that the checkpoint existed at `gen_time`."""

    checkpoint = models.ForeignKey(
        SignedCheckpoint, on_delete=models.PROTECT, related_name="timestamps"
    )
    tsa_url = models.URLField()
    response = models.BinaryField(help_text="The TimeStampResp, DER, as the authority sent it.")
    gen_time = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        triggers = append_only_triggers()

    def __str__(self) -> str:
        return f"timestamp of checkpoint {self.checkpoint_id} at {self.gen_time:%Y-%m-%d %H:%M:%S}"


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
