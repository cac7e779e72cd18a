"""Incidents and what hangs off them: crew, affected systems, timeline, tasks, and the
blameless post-incident review with its findings and action items."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from core.dates import (
    ALLOWED_CLOCK_SKEW,  # noqa: F401 - still importable from here
    validate_event_time,
    validate_planned_date,
)
from core.text import MultilineTextField, ShortTextField, validate_short_text
from incidents.lifecycle import Status

MAX_LIST_ITEMS = 20
MAX_LIST_ITEM_LENGTH = 100


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
    for item in value:
        try:
            validate_short_text(item)
        except ValidationError as error:
            raise ValidationError(f"“{item}”: {' '.join(error.messages)}") from error


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
    title = ShortTextField(max_length=200)
    description = MultilineTextField(blank=True)
    severity = models.CharField(max_length=16, choices=Severity.choices)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.NEW, db_index=True
    )
    occurred_at = models.DateTimeField(
        null=True,
        blank=True,
        validators=[validate_event_time],
        help_text="Estimated start of the incident.",
    )
    discovered_at = models.DateTimeField(null=True, blank=True, validators=[validate_event_time])
    aware_at = models.DateTimeField(
        default=timezone.now,
        validators=[validate_event_time],
        help_text="When the organisation became aware: the start of every regulatory clock.",
    )
    contained_at = models.DateTimeField(null=True, blank=True, editable=False)
    resolved_at = models.DateTimeField(null=True, blank=True, editable=False)
    discovery_method = MultilineTextField(blank=True, help_text="How was it discovered?")
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
        # Each time's own range (core.dates) is its field's validator; here, their order.
        errors = {}
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


class ContainmentChange(models.Model):
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


class TimelineEntry(models.Model):
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


class Task(models.Model):
    """A piece of work to be done for the incident, by someone, by a date."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="tasks")
    title = ShortTextField(max_length=200)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incident_tasks",
    )
    due_date = models.DateField(null=True, blank=True, validators=[validate_planned_date])
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


# --- The blameless post-incident review -----------------------------------------


class ReviewSectionKind(models.TextChoices):
    """The sections of a post-incident review; declaration order is display order."""

    SUMMARY = "summary", "Summary"
    TIMELINE = "timeline", "Timeline"
    DETECTION = "detection", "Detection and response times"
    ROOT_CAUSE = "root_cause", "Root cause and contributing factors"
    WENT_WELL = "went_well", "What went well"
    CODE_SECURITY = "code_security", "How can we make the code more secure?"
    STATIC_CONTENT = "static_content", "Can static content move to a CDN or out from behind login?"
    AUTHENTICATION = "authentication", "Is authentication strong enough?"
    AUTHORIZATION = "authorization", "Can authorization be strengthened?"
    MONITORING = "monitoring", "Can monitoring and logging be strengthened?"
    HUMAN_FACTORS = "human_factors", "Which human factors can improve?"


REVIEW_GUIDANCE = {
    ReviewSectionKind.SUMMARY: (
        "What happened, to which systems and data, and what it meant for the people "
        "affected, in a few sentences a newcomer can follow."
    ),
    ReviewSectionKind.TIMELINE: (
        "Built from the incident's timeline. Correct it and fill the gaps: when did the "
        "first sign appear, and when did each decision fall?"
    ),
    ReviewSectionKind.DETECTION: (
        "How was it detected, and how long did each phase take (occurred to discovered, "
        "discovered to aware, aware to contained, aware to resolved)? What would have "
        "told us sooner?"
    ),
    ReviewSectionKind.ROOT_CAUSE: (
        "Systemic causes, not people. Ask \u201chow did our systems let this happen\u201d, never "
        "\u201cwho\u201d: which process, tool, default or missing safeguard made the mistake "
        "possible or its effect larger? Name contributing factors the same way."
    ),
    ReviewSectionKind.WENT_WELL: (
        "What worked and should be kept: tools, runbooks, people's calls, communication."
    ),
    ReviewSectionKind.CODE_SECURITY: (
        "Audit the whole codebase for the same flaw, not just the place it was found. "
        "Which checks (review, static analysis, tests, dependency updates) would catch it?"
    ),
    ReviewSectionKind.STATIC_CONTENT: (
        "Can static content move to a CDN, or out from behind login, so that less of the "
        "application is exposed and an attack on it has less to reach?"
    ),
    ReviewSectionKind.AUTHENTICATION: (
        "Is authentication strong enough: second factors everywhere, phishing-resistant "
        "keys, session lifetimes, service accounts and API tokens?"
    ),
    ReviewSectionKind.AUTHORIZATION: (
        "Can authorization be strengthened: least privilege, need-to-know, separation of "
        "duties, expiry of access that is no longer needed?"
    ),
    ReviewSectionKind.MONITORING: (
        "Can monitoring and logging be strengthened: what did we not see, or see too "
        "late, and which alert or log would have shown it?"
    ),
    ReviewSectionKind.HUMAN_FACTORS: (
        "Which human factors can improve through the system around people: training, "
        "verification of support calls, phishing exercises and reporting, workload."
    ),
}


class ReviewStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    COMPLETED = "completed", "Completed"


class PostIncidentReview(models.Model):
    """The blameless review of an incident: what happened, why, and what changes now."""

    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="review")
    status = models.CharField(
        max_length=16, choices=ReviewStatus.choices, default=ReviewStatus.DRAFT
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft", completed_at__isnull=True)
                | Q(status="completed", completed_at__isnull=False),
                name="%(app_label)s_%(class)s_completed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"Review of {self.incident_id} ({self.status})"

    @property
    def is_completed(self) -> bool:
        return self.status == ReviewStatus.COMPLETED


class ReviewSection(models.Model):
    """One section of a review (ReviewSectionKind): a text, findings and action items."""

    review = models.ForeignKey(
        PostIncidentReview, on_delete=models.CASCADE, related_name="sections"
    )
    kind = models.CharField(max_length=32, choices=ReviewSectionKind.choices)
    position = models.PositiveSmallIntegerField(default=0)
    body = models.TextField(blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["review", "kind"], name="%(app_label)s_%(class)s_unique_kind"
            ),
        ]

    def __str__(self) -> str:
        return self.get_kind_display()

    @property
    def guidance(self) -> str:
        return REVIEW_GUIDANCE[ReviewSectionKind(self.kind)]


class Finding(models.Model):
    """Something the review found out, under one of its sections."""

    section = models.ForeignKey(ReviewSection, on_delete=models.CASCADE, related_name="findings")
    body = MultilineTextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.body[:60]


class ActionItemStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    WONT_DO = "wont_do", "Won't do"


OPEN_ACTION_ITEM_STATUSES = (ActionItemStatus.OPEN, ActionItemStatus.IN_PROGRESS)
CLOSED_ACTION_ITEM_STATUSES = (ActionItemStatus.DONE, ActionItemStatus.WONT_DO)


class ActionItem(models.Model):
    """A change the review decided on: who does it, by when, and where it is tracked."""

    section = models.ForeignKey(
        ReviewSection, on_delete=models.CASCADE, related_name="action_items"
    )
    # Denormalised (always section.review.incident): the tracker and the dashboard
    # filter action items by incident without three joins.
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="action_items")
    title = ShortTextField(max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="action_items"
    )
    due_date = models.DateField(validators=[validate_planned_date])
    status = models.CharField(
        max_length=16, choices=ActionItemStatus.choices, default=ActionItemStatus.OPEN
    )
    ticket_url = models.URLField(
        max_length=500,
        blank=True,
        validators=[URLValidator(schemes=["http", "https"]), validate_short_text],
        help_text="The ticket in another tracker (http or https).",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_date", "id"]
        indexes = [
            models.Index(fields=["owner", "status", "due_date"], name="incidents_action_owner_idx"),
            models.Index(fields=["status", "due_date"], name="incidents_action_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["open", "in_progress"], closed_at__isnull=True)
                | Q(status__in=["done", "wont_do"], closed_at__isnull=False),
                name="%(app_label)s_%(class)s_closed_at_matches_status",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_ACTION_ITEM_STATUSES

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_date < timezone.localdate()
