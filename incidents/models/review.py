"""The blameless post-incident review: its sections, findings and action items."""

from django.conf import settings
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.capture import CapturedModel
from core.dates import (
    validate_planned_date,
)
from core.text import MultilineTextField, ShortTextField, validate_short_text
from incidents.models.incident import Incident


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


class PostIncidentReview(CapturedModel):
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


class ReviewSection(CapturedModel):
    """One section of a review (ReviewSectionKind): a text, findings and action items."""

    review = models.ForeignKey(
        PostIncidentReview, on_delete=models.CASCADE, related_name="sections"
    )
    # A ReviewSectionKind, or the key of a section the incident's type adds (with its
    # own title and guidance).
    kind = models.CharField(max_length=50)
    title = models.CharField(max_length=200, blank=True, db_default="")
    guidance_text = models.TextField(blank=True, db_default="")
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

    def get_kind_display(self) -> str:
        if self.title:
            return self.title
        if self.kind in ReviewSectionKind.values:
            return ReviewSectionKind(self.kind).label
        return self.kind

    @property
    def guidance(self) -> str:
        if self.guidance_text:
            return self.guidance_text
        if self.kind in ReviewSectionKind.values:
            return REVIEW_GUIDANCE[ReviewSectionKind(self.kind)]
        return ""


class Finding(CapturedModel):
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


class ActionItem(CapturedModel):
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
