"""What hangs off an incident during the work: crew, affected systems and their
containment, the timeline, tasks."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.capture import CapturedModel
from core.dates import (
    validate_event_time,
    validate_planned_date,
)
from core.text import MultilineTextField, ShortTextField, validate_short_text
from incidents.models.incident import Incident
from incidents.typeschema import PHASE_LABELS


class CrewRole(models.TextChoices):
    COMMANDER = "commander", "Incident commander"
    RESPONDER = "responder", "Responder"
    LEGAL = "legal", "Legal"
    COMMUNICATIONS = "communications", "Communications"
    OBSERVER = "observer", "Observer"


class CrewMember(CapturedModel):
    """A person on an incident's response crew, with their role in that incident."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="crew")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="crew_memberships"
    )
    role = models.CharField(max_length=16, choices=CrewRole.choices, default=CrewRole.RESPONDER)
    added_at = models.DateTimeField(default=timezone.now)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "user"], name="%(app_label)s_%(class)s_unique_person"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}) on {self.incident_id}"


class SystemKind(models.TextChoices):
    SERVER = "server", "Server"
    APPLICATION = "application", "Application"
    DATABASE = "database", "Database"
    NETWORK = "network", "Network device"
    ENDPOINT = "endpoint", "Endpoint"
    CLOUD = "cloud", "Cloud service"
    OTHER = "other", "Other"


class ContainmentState(models.TextChoices):
    ONLINE = "online", "Online"
    ISOLATED = "isolated", "Isolated"
    SHUT_DOWN = "shut_down", "Shut down"
    RESTORED = "restored", "Restored"


class AffectedSystem(CapturedModel):
    """A system hit by the incident, with when it was impacted and its containment state."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="systems")
    name = ShortTextField(max_length=200)
    kind = models.CharField(max_length=16, choices=SystemKind.choices, default=SystemKind.SERVER)
    owner = ShortTextField(max_length=200, blank=True)
    impact_start = models.DateTimeField(null=True, blank=True, validators=[validate_event_time])
    impact_end = models.DateTimeField(null=True, blank=True, validators=[validate_event_time])
    containment_state = models.CharField(
        max_length=16, choices=ContainmentState.choices, default=ContainmentState.ONLINE
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(impact_end__isnull=True)
                | Q(impact_start__isnull=True)
                | Q(impact_end__gte=models.F("impact_start")),
                name="%(app_label)s_%(class)s_impact_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.impact_start and self.impact_end and self.impact_end < self.impact_start:
            raise ValidationError({"impact_end": ["The impact cannot end before it started."]})

    @property
    def impact_duration(self):
        if self.impact_start is None:
            return None
        return (self.impact_end or timezone.now()) - self.impact_start


class ContainmentChange(CapturedModel):
    """One change of an affected system's containment state: its history."""

    system = models.ForeignKey(AffectedSystem, on_delete=models.CASCADE, related_name="history")
    from_state = models.CharField(max_length=16, choices=ContainmentState.choices)
    to_state = models.CharField(max_length=16, choices=ContainmentState.choices)
    note = models.TextField(blank=True, validators=[validate_short_text])
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.system}: {self.from_state} → {self.to_state}"


class EntryKind(models.TextChoices):
    NOTE = "note", "Note"
    ACTION = "action", "Action"
    DECISION = "decision", "Decision"
    STATUS_CHANGE = "status_change", "Status change"
    FACTS_CHANGE = "facts_change", "Facts changed"


# Entries the services write themselves (a status or facts change), never typed by a person.
AUTOMATIC_ENTRY_KINDS = (EntryKind.STATUS_CHANGE, EntryKind.FACTS_CHANGE)


class TimelineEntry(CapturedModel):
    """Something that happened or was decided, at a point in the incident's time."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(max_length=16, choices=EntryKind.choices, default=EntryKind.NOTE)
    body = MultilineTextField()
    occurred_at = models.DateTimeField(default=timezone.now, validators=[validate_event_time])
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["occurred_at", "id"]
        verbose_name_plural = "timeline entries"
        indexes = [
            # Newest first across incidents (the overview's recent activity) without a
            # sort of every entry: PostgreSQL walks this index backwards.
            models.Index(fields=["occurred_at", "id"], name="incidents_timeline_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.occurred_at:%Y-%m-%d %H:%M}"


class TaskStatus(models.TextChoices):
    TODO = "todo", "To do"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    SKIPPED = "skipped", "Skipped"


CLOSED_TASK_STATUSES = (TaskStatus.DONE, TaskStatus.SKIPPED)


class Task(CapturedModel):
    """A piece of work to be done for the incident, by someone, by a date; from the
    type's playbook (playbook_key) or added by hand."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="tasks")
    title = ShortTextField(max_length=200)
    description = MultilineTextField(blank=True, db_default="")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incident_tasks",
    )
    due_date = models.DateField(null=True, blank=True, validators=[validate_planned_date])
    # From a playbook: aware_at plus the task's offset (due_date is its day, in UTC).
    due_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=TaskStatus.choices, default=TaskStatus.TODO, db_default="todo"
    )
    skip_reason = MultilineTextField(blank=True, db_default="")
    done = models.BooleanField(default=False)
    done_at = models.DateTimeField(null=True, blank=True)
    phase = models.CharField(max_length=20, blank=True, db_default="")
    playbook_key = models.CharField(max_length=50, blank=True, db_default="")
    assignee_role = models.CharField(max_length=16, blank=True, db_default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["done", "due_date", "id"]
        indexes = [models.Index(fields=["status", "due_at"], name="incidents_task_open_due_idx")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="skipped", skip_reason=""),
                name="%(app_label)s_%(class)s_skipped_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_phase_display(self) -> str:
        return PHASE_LABELS.get(self.phase, self.phase)

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED_TASK_STATUSES

    @property
    def is_overdue(self) -> bool:
        if not self.is_open:
            return False
        if self.due_at is not None:
            return self.due_at < timezone.now()
        return self.due_date is not None and self.due_date < timezone.now().date()


class TaskComment(CapturedModel):
    """A comment on a task: what was tried, what blocks it."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    body = MultilineTextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(CapturedModel.Meta):
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Comment on task {self.task_id}"
