"""Observables: the indicators (addresses, names, hashes…) recorded on an incident.

An observable belongs to exactly one incident. The same value on two incidents is two
rows, so editing one never changes the other (no shared rows between incidents); what
they share is found by correlation, comparing type and normalised value
(observables.selectors), always within what the viewer may see.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.capture import CapturedManager, CapturedModel
from core.dates import validate_event_time
from core.marking import PAP, PAP_MAX_LENGTH, TLP, TLP_MAX_LENGTH
from core.text import MultilineTextField, validate_short_text
from evidence.models import EvidenceItem
from incidents.models import Incident
from observables.attack import technique_url
from observables.values import display_value, looks_defanged
from observables.values.kinds import SOURCE_MAX_LENGTH, TYPE_MAX_LENGTH, ObservableType, Source

MAX_TAGS = 20
MAX_TAG_LENGTH = 64
DIGEST_LENGTH = 64


def validate_tags(value) -> None:
    if not isinstance(value, list) or not all(isinstance(tag, str) for tag in value):
        raise ValidationError("Give the tags as a list of text.")
    if len(value) > MAX_TAGS:
        raise ValidationError(f"At most {MAX_TAGS} tags.")
    for tag in value:
        if not tag.strip() or len(tag) > MAX_TAG_LENGTH:
            raise ValidationError(f"Each tag is 1 to {MAX_TAG_LENGTH} characters.")
        try:
            validate_short_text(tag)
        except ValidationError as error:
            raise ValidationError(f"“{tag}”: {' '.join(error.messages)}") from error


class Observable(CapturedModel):
    """One indicator seen in an incident: an IP address, a domain, a file hash… with its
    markings (TLP, PAP), whether it is an indicator of compromise, whether it was
    sighted, and where it came from."""

    incident = models.ForeignKey(
        Incident,
        on_delete=models.PROTECT,
        related_name="observables",
        db_index=False,  # the unique constraint's index starts with the incident
    )
    type = models.CharField(max_length=TYPE_MAX_LENGTH, choices=ObservableType.choices)
    value = models.TextField(help_text="The value as given (possibly defanged).")
    normalized_value = models.TextField(help_text="Refanged and canonical: what is compared.")
    value_digest = models.CharField(
        max_length=DIGEST_LENGTH,
        editable=False,
        help_text="SHA-256 of the normalised value: the fixed-width key correlation uses.",
    )
    tlp = models.CharField("TLP", max_length=TLP_MAX_LENGTH, choices=TLP.choices)
    pap = models.CharField("PAP", max_length=PAP_MAX_LENGTH, choices=PAP.choices)
    is_ioc = models.BooleanField("indicator of compromise", default=False)
    sighted = models.BooleanField(default=False)
    sighted_at = models.DateTimeField(null=True, blank=True, validators=[validate_event_time])
    ignore_for_correlation = models.BooleanField(
        default=False,
        help_text="Common values (a public resolver, a CDN): never matched with other incidents.",
    )
    tags = models.JSONField(default=list, blank=True, validators=[validate_tags])
    description = MultilineTextField(blank=True)
    source = models.CharField(
        max_length=SOURCE_MAX_LENGTH, choices=Source.choices, default=Source.MANUAL
    )
    first_seen = models.DateTimeField(null=True, blank=True, validators=[validate_event_time])
    last_seen = models.DateTimeField(null=True, blank=True, validators=[validate_event_time])
    evidence = models.ForeignKey(
        EvidenceItem,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="observables",
        help_text="The evidence item it was found in (of the same incident).",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    objects: CapturedManager = CapturedManager()  # the type names bulk_upsert

    class Meta(CapturedModel.Meta):
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "type", "value_digest"],
                name="%(app_label)s_%(class)s_unique_per_incident",
            ),
            models.CheckConstraint(
                condition=Q(type__in=ObservableType.values),
                name="%(app_label)s_%(class)s_type_known",
            ),
            models.CheckConstraint(
                condition=Q(tlp__in=TLP.values), name="%(app_label)s_%(class)s_tlp_known"
            ),
            models.CheckConstraint(
                condition=Q(pap__in=PAP.values), name="%(app_label)s_%(class)s_pap_known"
            ),
        ]
        indexes = [
            # Correlation and look-ups: every incident holding a type and value.
            models.Index(fields=["type", "value_digest"], name="observables_type_value_idx"),
            # An incident's observables, newest first (keyset pages).
            models.Index(fields=["incident", "-id"], name="observables_incident_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()} {self.normalized_value}"

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if self.first_seen and self.last_seen and self.last_seen < self.first_seen:
            errors["last_seen"] = ["Last seen cannot be before first seen."]
        # Only when the item is at hand: the services check many at once in one query.
        evidence = self.evidence if Observable.evidence.is_cached(self) else None
        if evidence is not None and evidence.incident_id != self.incident_id:
            errors["evidence"] = ["The evidence item belongs to another incident."]
        if errors:
            raise ValidationError(errors)

    @property
    def shown(self) -> dict:
        """An internationalised name's Unicode form (beside its A-label), and whether it
        may pass for another name (a homograph)."""
        return display_value(self.type, self.normalized_value)

    @property
    def defanged(self) -> bool:
        return looks_defanged(self.value)


class IncidentTechnique(CapturedModel):
    """A MITRE ATT&CK technique seen in an incident (observables.attack: the offline
    catalogue it is chosen from). The name is kept as it was when chosen."""

    incident = models.ForeignKey(
        Incident, on_delete=models.PROTECT, related_name="techniques", db_index=False
    )
    technique_id = models.CharField("ATT&CK id", max_length=16)
    name = models.CharField(max_length=200)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta(CapturedModel.Meta):
        ordering = ["technique_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "technique_id"],
                name="%(app_label)s_%(class)s_unique_per_incident",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.technique_id} {self.name}"

    @property
    def url(self) -> str:
        return technique_url(self.technique_id)


__all__ = ["EvidenceItem", "IncidentTechnique", "Observable", "ObservableType", "Source"]
