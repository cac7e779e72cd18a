"""Incidents and what hangs off them: crew, affected systems, timeline, tasks."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from incidents.lifecycle import Status

MAX_LIST_ITEMS = 20
MAX_LIST_ITEM_LENGTH = 100
ALLOWED_CLOCK_SKEW = timedelta(minutes=5)


class Severity(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class DataCategory(models.TextChoices):
    PII = "pii", "Personal data (PII)"
    CREDENTIALS = "credentials", "Passwords and credentials"
    PAYMENT_CARDS = "payment_cards", "Payment card data"
    HEALTH = "health", "Health data"
    FINANCIAL = "financial", "Financial data"
    OTHER = "other", "Other"


def validate_data_categories(value) -> None:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError("Give a list of data categories.")
    unknown = sorted(set(value) - set(DataCategory.values))
    if unknown:
        raise ValidationError(
            f"Unknown data categories: {', '.join(unknown)}; "
            f"choose from {', '.join(DataCategory.values)}."
        )


def validate_attack_vectors(value) -> None:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError("Give a list of attack vectors as text.")
    if len(value) > MAX_LIST_ITEMS:
        raise ValidationError(f"At most {MAX_LIST_ITEMS} attack vectors.")
    if any(not item.strip() or len(item) > MAX_LIST_ITEM_LENGTH for item in value):
        raise ValidationError(f"Each attack vector is 1 to {MAX_LIST_ITEM_LENGTH} characters.")


class ReferenceCounter(models.Model):
    """The last incident number handed out in a year (INC-<year>-<number>)."""

    year = models.PositiveIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class IncidentQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The need-to-know gate: the only way incident data is read on someone's behalf.

        Leads and auditors (view_all_incidents) see everything; other CSIRT roles
        (view_incident) see unrestricted incidents and restricted ones they crew;
        everyone sees what they filed themselves; nobody else sees anything.
        """
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser or user.has_perm("incidents.view_all_incidents"):
            return self
        filed_by_user = Q(reporter=user)
        if user.has_perm("incidents.view_incident"):
            on_crew = Exists(CrewMember.objects.filter(incident=OuterRef("pk"), user=user))
            return self.filter(Q(restricted=False) | on_crew | filed_by_user)
        return self.filter(filed_by_user)


class Incident(models.Model):
    """A security incident, from the first report to the last lesson learned."""

    reference = models.CharField(max_length=20, unique=True, editable=False)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    severity = models.CharField(max_length=16, choices=Severity.choices)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.NEW, db_index=True
    )
    occurred_at = models.DateTimeField(
        null=True, blank=True, help_text="Estimated start of the incident."
    )
    discovered_at = models.DateTimeField(null=True, blank=True)
    aware_at = models.DateTimeField(
        default=timezone.now,
        help_text="When the organisation became aware: the start of every regulatory clock.",
    )
    contained_at = models.DateTimeField(null=True, blank=True, editable=False)
    resolved_at = models.DateTimeField(null=True, blank=True, editable=False)
    discovery_method = models.TextField(blank=True, help_text="How was it discovered?")
    attack_vectors = models.JSONField(
        default=list, blank=True, validators=[validate_attack_vectors]
    )
    data_categories = models.JSONField(
        default=list, blank=True, validators=[validate_data_categories]
    )
    estimated_affected_people = models.PositiveIntegerField(null=True, blank=True)
    restricted = models.BooleanField(
        default=False, help_text="Need-to-know: only its crew and the leads can see it."
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="filed_incidents"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        permissions = [
            ("view_all_incidents", "Can see every incident, restricted or not"),
            ("manage_crew", "Can add and remove members of an incident's crew"),
        ]
        indexes = [
            models.Index(fields=["severity", "-id"], name="incidents_severity_idx"),
            models.Index(fields=["status", "-id"], name="incidents_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    def clean(self) -> None:
        now = timezone.now() + ALLOWED_CLOCK_SKEW
        errors = {}
        for name in ("occurred_at", "discovered_at", "aware_at"):
            value = getattr(self, name)
            if value is not None and value > now:
                errors[name] = ["This time is in the future."]
        if self.occurred_at and self.discovered_at and self.discovered_at < self.occurred_at:
            errors.setdefault("discovered_at", []).append(
                "An incident cannot be discovered before it occurred."
            )
        if self.discovered_at and self.aware_at and self.aware_at < self.discovered_at:
            errors.setdefault("aware_at", []).append(
                "The organisation cannot be aware before the incident was discovered."
            )
        if errors:
            raise ValidationError(errors)


class CrewRole(models.TextChoices):
    COMMANDER = "commander", "Incident commander"
    RESPONDER = "responder", "Responder"
    LEGAL = "legal", "Legal"
    COMMUNICATIONS = "communications", "Communications"
    OBSERVER = "observer", "Observer"


class CrewMember(models.Model):
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


class AffectedSystem(models.Model):
    """A system hit by the incident, with when it was impacted and its containment state."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="systems")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=SystemKind.choices, default=SystemKind.SERVER)
    owner = models.CharField(max_length=200, blank=True)
    impact_start = models.DateTimeField(null=True, blank=True)
    impact_end = models.DateTimeField(null=True, blank=True)
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


class ContainmentChange(models.Model):
    """One change of an affected system's containment state: its history."""

    system = models.ForeignKey(AffectedSystem, on_delete=models.CASCADE, related_name="history")
    from_state = models.CharField(max_length=16, choices=ContainmentState.choices)
    to_state = models.CharField(max_length=16, choices=ContainmentState.choices)
    note = models.TextField(blank=True)
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


class TimelineEntry(models.Model):
    """Something that happened or was decided, at a point in the incident's time."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(max_length=16, choices=EntryKind.choices, default=EntryKind.NOTE)
    body = models.TextField()
    occurred_at = models.DateTimeField(default=timezone.now)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["occurred_at", "id"]
        verbose_name_plural = "timeline entries"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.occurred_at:%Y-%m-%d %H:%M}"


class Task(models.Model):
    """A piece of work to be done for the incident, by someone, by a date."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(max_length=200)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incident_tasks",
    )
    due_date = models.DateField(null=True, blank=True)
    done = models.BooleanField(default=False)
    done_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["done", "due_date", "id"]

    def __str__(self) -> str:
        return self.title
