"""Forms of the incident itself: the list's filters, filing, status, timeline."""

from __future__ import annotations

import datetime as dt
from typing import cast

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.http import urlencode

from core.fields import INTEGER_MAX, BoundedIntegerField
from core.forms import (
    Form,
    UTCDateTimeField,
    apply_service_errors,
    now_to_the_minute,
)
from core.marking import PAP, TLP
from incidents.forms.classification import CustomFieldsMixin, TagsField, type_by_key, type_choices
from incidents.lifecycle import BACKWARD, Status, next_statuses
from incidents.listing import HIGH_AND_UP, OPEN, SORT_CHOICES
from incidents.models import (
    AUTOMATIC_ENTRY_KINDS,
    MAX_LIST_ITEM_LENGTH,
    MAX_LIST_ITEMS,
    SAVED_FILTER_NAME_LENGTH,
    DataCategory,
    EntryKind,
    Incident,
    IncidentType,
    Severity,
)
from incidents.services.incident import EDITABLE_FIELDS

MAX_QUERY_LENGTH = 200
MAX_REASON_LENGTH = 2000
MAX_ATTACK_VECTORS_INPUT = MAX_LIST_ITEMS * (MAX_LIST_ITEM_LENGTH + 2)


class IncidentFilterForm(Form):
    """The list's GET filters and order. An invalid value is reported and that filter
    ignored (the list falls back to its default order for an unknown sort key)."""

    status = forms.ChoiceField(
        choices=[("", "Any status"), (OPEN, "Any open status"), *Status.choices],
        required=False,
        label="Status",
    )
    severity = forms.ChoiceField(
        choices=[("", "Any severity"), (HIGH_AND_UP, "High or critical"), *Severity.choices],
        required=False,
        label="Severity",
    )
    type = forms.ChoiceField(choices=(), required=False, label="Type")
    tag = forms.CharField(required=False, max_length=50, label="Tag")
    field = forms.CharField(
        required=False,
        max_length=120,
        label="Field",
        help_text="A custom field's value as key:value, e.g. strain:LockBit.",
    )
    q = forms.CharField(
        required=False,
        max_length=MAX_QUERY_LENGTH,
        label="Search",
        help_text="Words in the title or description, or a reference such as INC-2025-0001.",
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    mine = forms.BooleanField(required=False, widget=forms.HiddenInput, label="Only mine")
    sort = forms.ChoiceField(
        choices=SORT_CHOICES, required=False, widget=forms.HiddenInput, label="Order"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["type"]).choices = [
            ("", "Any type"),
            *IncidentType.objects.values_list("key", "name"),
        ]

    def valid_filters(self) -> dict:
        """The filters whose values are valid, ready for incidents.listing.incident_list."""
        self.is_valid()
        filters = {
            name: value
            for name, value in self.cleaned_data.items()
            if name not in self.errors and value
        }
        if "field" in filters:
            filters["field"], _, filters["value"] = filters["field"].partition(":")
            filters["field"], filters["value"] = filters["field"].strip(), filters["value"].strip()
        return filters

    def query(self) -> str:
        """The valid filters as a query string: what a saved filter keeps."""
        filters = self.valid_filters()
        if filters.get("mine"):
            filters["mine"] = "1"
        if "field" in filters:
            filters["field"] = f"{filters['field']}:{filters.pop('value')}"
        return urlencode(filters)


class SavedFilterForm(Form):
    """Name the list's current filters (`query`, the list's own query string)."""

    name = forms.CharField(
        max_length=SAVED_FILTER_NAME_LENGTH,
        label="Name of this filter",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    query = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "id_saved_filter_%s")
        super().__init__(*args, **kwargs)


class IncidentFileForm(CustomFieldsMixin, Form):
    """Everything a person knows when filing an incident (incidents.services.incident_file).

    The chosen type (posted, or `?type=` when the page is opened) adds its custom fields."""

    type = forms.ChoiceField(
        choices=(),
        required=False,
        label="Incident type",
        help_text="Its playbook's tasks are created with due dates, and it asks for its fields.",
    )
    title = forms.CharField(max_length=Incident._meta.get_field("title").max_length)
    severity = forms.ChoiceField(choices=[("", "Choose a severity"), *Severity.choices])
    description = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="What happened, as far as you know now.",
    )
    occurred_at = UTCDateTimeField(
        required=False, label="Occurred at (UTC)", help_text="Estimated start of the incident."
    )
    discovered_at = UTCDateTimeField(required=False, label="Discovered at (UTC)")
    aware_at = UTCDateTimeField(
        required=False,
        initial=now_to_the_minute,
        label="Aware at (UTC)",
        help_text="When the organisation became aware: every regulatory deadline counts from it.",
    )
    discovery_method = forms.CharField(
        required=False,
        label="How was it discovered?",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    attack_vectors = forms.CharField(
        required=False,
        max_length=MAX_ATTACK_VECTORS_INPUT,
        label="Suspected attack vectors",
        help_text="Separate them with commas, e.g. phishing, stolen credentials.",
    )
    data_categories = forms.MultipleChoiceField(
        required=False,
        choices=DataCategory.choices,
        widget=forms.CheckboxSelectMultiple,
        label="Data that may have been accessed",
    )
    estimated_affected_people = BoundedIntegerField(
        required=False,
        min_value=0,
        max_value=INTEGER_MAX,
        label="Estimated number of affected people",
    )
    restricted = forms.BooleanField(
        required=False,
        label="Restricted (need-to-know)",
        help_text="Only the incident's crew and the leads will see it.",
    )
    tlp = forms.ChoiceField(
        choices=TLP.choices,
        required=False,
        label="TLP",
        help_text="Traffic Light Protocol 2.0: who may receive what this incident holds.",
    )
    pap = forms.ChoiceField(
        choices=PAP.choices,
        required=False,
        label="PAP",
        help_text="Permissible Actions Protocol: what may be done with its indicators.",
    )
    tags = TagsField(label="Tags")

    def __init__(self, *args, type_key: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["type"]).choices = type_choices()
        key = self.data.get("type", "") if self.is_bound else type_key
        self.incident_type = type_by_key(key) if isinstance(key, str) else None
        if self.incident_type is not None and self.incident_type.retired:
            self.incident_type = None
        self.fields["tlp"].initial = settings.INCIDENT_DEFAULT_TLP
        self.fields["pap"].initial = settings.INCIDENT_DEFAULT_PAP
        if self.incident_type is not None:
            self.fields["type"].initial = self.incident_type.key
            if self.incident_type.default_severity:
                self.fields["severity"].initial = self.incident_type.default_severity
            if self.incident_type.default_tlp:
                self.fields["tlp"].initial = self.incident_type.default_tlp
        self.add_custom_fields(self.incident_type)

    def clean_attack_vectors(self) -> list[str]:
        raw = self.cleaned_data["attack_vectors"]
        vectors = [part.strip() for part in raw.split(",") if part.strip()]
        vectors = list(dict.fromkeys(vectors))
        if len(vectors) > MAX_LIST_ITEMS:
            raise ValidationError(f"At most {MAX_LIST_ITEMS} attack vectors.")
        if any(len(vector) > MAX_LIST_ITEM_LENGTH for vector in vectors):
            raise ValidationError(
                f"Each attack vector is at most {MAX_LIST_ITEM_LENGTH} characters."
            )
        return vectors

    def clean(self):
        cleaned_data = super().clean()
        # The incident's own rules about its times (none in the future, in order),
        # checked now so that every error shows at once.
        times = {
            name: cleaned_data[name]
            for name in ("occurred_at", "discovered_at", "aware_at")
            if cleaned_data.get(name)
        }
        others = [field.name for field in Incident._meta.fields if field.name not in times]
        try:
            Incident(**times).full_clean(exclude=others, validate_unique=False)
        except ValidationError as error:
            apply_service_errors(self, error)
        return cleaned_data

    def service_fields(self) -> dict:
        """Keyword arguments for incident_file, besides reporter, title and severity."""
        fields = dict(self.cleaned_data)
        del fields["title"], fields["severity"], fields["type"]
        for name in self.custom_field_names():
            del fields[name]
        fields["incident_type"] = self.incident_type
        fields["custom_fields"] = self.custom_values()
        if fields["aware_at"] is None:
            del fields["aware_at"]
        for marking in ("tlp", "pap"):  # left out: the configured default
            if not fields.get(marking):
                fields.pop(marking, None)
        return fields


class IncidentEditForm(IncidentFileForm):
    """The incident's facts as recorded, to correct or complete (incident_update).

    `restricted` is offered only to those who decide the crew (the service checks it)."""

    def __init__(self, *args, incident: Incident, may_restrict: bool = False, **kwargs):
        kwargs.setdefault("auto_id", "id_edit_%s")
        initial = {name: getattr(incident, name) for name in EDITABLE_FIELDS}
        initial["attack_vectors"] = ", ".join(incident.attack_vectors)
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        # Type, tags and custom fields have their own section (incident_classify).
        for name in [name for name in self.fields if name not in EDITABLE_FIELDS]:
            del self.fields[name]
        self.custom_definitions = []
        self.fields["tlp"].initial = incident.tlp
        self.fields["pap"].initial = incident.pap
        severity = self.fields["severity"]
        assert isinstance(severity, forms.ChoiceField)
        severity.choices = Severity.choices
        for name in ("aware_at", "tlp", "pap"):
            self.fields[name].required = True
        self.fields[
            "aware_at"
        ].help_text = "Every regulatory deadline counts from it: change it only to correct it."
        if not may_restrict:
            del self.fields["restricted"]

    def changes(self, incident: Incident) -> dict:
        """Only the fields whose value differs from the incident's. Times are shown to
        the minute, so a time left as it was is not a change of its seconds."""
        changes = {}
        for name, value in self.cleaned_data.items():
            current = getattr(incident, name)
            if (
                isinstance(current, dt.datetime)
                and isinstance(value, dt.datetime)
                and current.replace(second=0, microsecond=0) == value
            ):
                continue
            if name == "data_categories" and sorted(current) == sorted(value):
                continue
            if current != value:
                changes[name] = value
        return changes


class StatusChangeForm(Form):
    """Move the incident along its lifecycle. Only the allowed next statuses are offered;
    anything else posted is still passed to the service, which refuses it clearly."""

    status = forms.ChoiceField(choices=Status.choices, label="New status")
    reason = forms.CharField(
        required=False,
        max_length=MAX_REASON_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required when moving back a step.",
    )
    close_anyway = forms.BooleanField(
        required=False,
        label="Close it anyway",
        help_text="The open work stays as it is, recorded on the closed incident.",
    )

    def __init__(self, *args, incident: Incident, **kwargs):
        kwargs.setdefault("auto_id", "id_status_%s")
        super().__init__(*args, **kwargs)
        # What closing would leave open (set by the view when it asks to confirm).
        self.closing_warnings: list[str] = []
        backward = BACKWARD.get(incident.status)
        self.fields["status"].widget.choices = [
            (
                status,
                f"Back to {Status(status).label}"
                if status == backward
                else f"Forward to {Status(status).label}",
            )
            for status in next_statuses(incident.status)
        ]


class TimelineEntryForm(Form):
    kind = forms.ChoiceField(
        choices=[choice for choice in EntryKind.choices if choice[0] not in AUTOMATIC_ENTRY_KINDS],
        initial=EntryKind.NOTE,
    )
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="What happened")
    occurred_at = UTCDateTimeField(
        required=False, label="When (UTC)", help_text="Leave empty for now."
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "id_timeline_%s")
        super().__init__(*args, **kwargs)
