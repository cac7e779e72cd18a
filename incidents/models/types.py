"""Incident types and their playbooks, custom fields and review sections; the managed
list of tags. A type's structured parts are one JSON document, validated by
incidents.typeschema wherever it comes from (pages, import, the built-ins)."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from core.capture import CapturedModel, CapturedQuerySet
from core.marking import TLP, TLP_MAX_LENGTH
from core.text import MultilineTextField, ShortTextField
from incidents.typeschema import PHASE_LABELS, validate_type_document

DOCUMENT_FIELDS = (
    "key",
    "name",
    "description",
    "default_severity",
    "default_tlp",
    "default_tags",
    "disclosure_regimes",
    "playbook",
    "custom_fields",
    "review_sections",
    "retired",
)


class IncidentTypeQuerySet(CapturedQuerySet):
    def active(self):
        return self.filter(retired=False)


class IncidentType(CapturedModel):
    """A kind of incident (ransomware, phishing…) with the first steps, the facts to
    record and the review questions that fit it."""

    key = models.SlugField(max_length=50, unique=True)
    name = ShortTextField(max_length=100)
    description = MultilineTextField(blank=True)
    default_severity = models.CharField(max_length=16, blank=True)
    default_tlp = models.CharField(
        "default TLP", max_length=TLP_MAX_LENGTH, choices=TLP.choices, blank=True
    )
    default_tags = models.JSONField(default=list, blank=True)
    disclosure_regimes = models.JSONField(default=list, blank=True)
    playbook = models.JSONField(default=list, blank=True)
    custom_fields = models.JSONField(default=list, blank=True)
    review_sections = models.JSONField(default=list, blank=True)
    retired = models.BooleanField(default=False)
    builtin = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = IncidentTypeQuerySet.as_manager()

    class Meta(CapturedModel.Meta):
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        validate_type_document(self.to_document())

    def to_document(self) -> dict:
        """The type as its JSON document (export, the schema's subject)."""
        document = {name: getattr(self, name) for name in DOCUMENT_FIELDS}
        for name in ("default_severity", "default_tlp"):
            if not document[name]:
                del document[name]
        return document

    def field(self, key: str) -> dict | None:
        return next((item for item in self.custom_fields if item["key"] == key), None)

    def playbook_by_phase(self) -> list[tuple[str, list[dict]]]:
        return [
            (label, [task for task in self.playbook if task["phase"] == phase])
            for phase, label in PHASE_LABELS.items()
            if any(task["phase"] == phase for task in self.playbook)
        ]


def validate_colour(value: str) -> None:
    if len(value) != 7 or value[0] != "#" or any(c not in "0123456789abcdef" for c in value[1:]):
        raise ValidationError("Give a colour as #rrggbb (lower-case hex).")


class Tag(CapturedModel):
    """A tag of the managed list leads keep: a name and a colour. Incidents and
    observables may carry free tags too; managed ones show in their colour."""

    name = ShortTextField(max_length=50, unique=True)
    colour = models.CharField(max_length=7, default="#6b7280", validators=[validate_colour])
    description = ShortTextField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta(CapturedModel.Meta):
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
