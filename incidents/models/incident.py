"""The incident: its facts, its reference, and the need-to-know gate."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from core.capture import CapturedModel, CapturedQuerySet
from core.dates import (
    validate_event_time,
)
from core.marking import PAP, PAP_MAX_LENGTH, TLP, TLP_MAX_LENGTH
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


MAX_TAGS = 30
MAX_TAG_LENGTH = 50


def validate_tags(value) -> None:
    """Tags: a list of short single-line texts (incidents and observables share them)."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError("Give the tags as a list of text.")
    if len(value) > MAX_TAGS:
        raise ValidationError(f"At most {MAX_TAGS} tags.")
    for item in value:
        if not item.strip() or len(item) > MAX_TAG_LENGTH or item != item.strip():
            raise ValidationError(f"Each tag is 1 to {MAX_TAG_LENGTH} characters, no outer spaces.")
        validate_short_text(item)


def default_tlp() -> str:
    """A new incident's TLP: settings.INCIDENT_DEFAULT_TLP (amber unless configured)."""
    return settings.INCIDENT_DEFAULT_TLP


def default_pap() -> str:
    return settings.INCIDENT_DEFAULT_PAP


class ReferenceCounter(models.Model):
    """The last incident number handed out in a year (INC-<year>-<number>)."""

    year = models.PositiveIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class IncidentQuerySet(CapturedQuerySet):
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
            crew = self.model.crew.rel.related_model  # CrewMember (incidents.models.work)
            on_crew = Exists(crew.objects.filter(incident=OuterRef("pk"), user=user))
            return self.filter(Q(restricted=False) | on_crew | filed_by_user)
        return self.filter(filed_by_user)


class Incident(CapturedModel):
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
    tlp = models.CharField(
        "TLP",
        max_length=TLP_MAX_LENGTH,
        choices=TLP.choices,
        default=default_tlp,
        db_default=TLP.AMBER,
        help_text="Traffic Light Protocol 2.0: who may receive what this incident holds.",
    )
    pap = models.CharField(
        "PAP",
        max_length=PAP_MAX_LENGTH,
        choices=PAP.choices,
        default=default_pap,
        db_default=PAP.AMBER,
        help_text="Permissible Actions Protocol: what may be done with its indicators.",
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="filed_incidents"
    )
    incident_type = models.ForeignKey(
        "incidents.IncidentType",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incidents",
        verbose_name="type",
        db_index=False,  # Meta.indexes: built concurrently (migration 0009)
    )
    # Values of the type's custom fields, keyed by field key (incidents.custom_fields).
    custom_fields = models.JSONField(default=dict, db_default={}, blank=True)
    tags = models.JSONField(default=list, db_default=[], blank=True, validators=[validate_tags])
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    # Filed, and the leads not told yet: the notice goes out from a task after commit
    # (incidents.services.incident_notify_leads_of_filing); beat sends what a lost task
    # message left owing. Bookkeeping: clearing it is not an audit event of its own.
    leads_notice_owed = models.BooleanField(default=False, db_default=False, editable=False)

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
            models.Index(fields=["incident_type"], name="incidents_type_idx"),
            # The few owing their leads a notice, for the beat sweep.
            models.Index(
                fields=["id"],
                condition=models.Q(leads_notice_owed=True),
                name="incidents_notice_owed_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    def clean(self) -> None:
        # Each time's own range (core.dates) is its field's validator; here, their order.
        errors: dict[str, list[str]] = {}
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
