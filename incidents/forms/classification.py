"""Forms for what a type brings: the type itself, tags, custom fields (built from the
type's definitions), the playbook tasks offered when the type changes."""

from __future__ import annotations

from typing import cast

from django import forms

from core.forms import DateInput, Form
from incidents.custom_fields import error_key
from incidents.models import MAX_TAGS, IncidentType

PREFIX = "cf_"
MAX_TAGS_INPUT = 2000


def type_choices(*, include=None) -> list[tuple[str, str]]:
    """Active types to choose from (and `include`, the incident's current one, even retired)."""
    types = list(IncidentType.objects.active())
    if include is not None and include not in types:
        types.append(include)
    return [("", "No type"), *((item.key, item.name) for item in types)]


def type_by_key(key: str) -> IncidentType | None:
    return IncidentType.objects.filter(key=key).first() if key else None


def tags_from_text(text: str) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


class TagsField(forms.CharField):
    """Tags as comma-separated text."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", MAX_TAGS_INPUT)
        kwargs.setdefault("help_text", "Separate them with commas, e.g. ransomware, finance.")
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list) else value

    def clean(self, value):
        tags = tags_from_text(super().clean(value))
        if len(tags) > MAX_TAGS:
            raise forms.ValidationError(f"At most {MAX_TAGS} tags.")
        return tags


def custom_form_field(definition: dict) -> forms.Field:
    """A form field for one custom field definition. Only the shape is checked here;
    incidents.custom_fields decides (and names the field in its error)."""
    common = {
        "label": definition["label"],
        "required": False,
        "help_text": definition.get("help_text", "")
        + (" (required)" if definition.get("required") else ""),
    }
    kind = definition["kind"]
    choices = [(choice, choice) for choice in definition.get("choices", [])]
    if kind == "number":
        return forms.CharField(
            max_length=30, widget=forms.TextInput(attrs={"inputmode": "decimal"}), **common
        )
    if kind == "date":
        return forms.CharField(max_length=10, widget=DateInput(), **common)
    if kind == "boolean":
        return forms.TypedChoiceField(
            choices=[("", "—"), ("true", "Yes"), ("false", "No")],
            coerce=lambda value: value == "true",
            empty_value=None,
            **common,
        )
    if kind == "url":
        return forms.CharField(max_length=2000, widget=forms.URLInput(), **common)
    if kind == "choice":
        return forms.ChoiceField(choices=[("", "—"), *choices], **common)
    if kind == "multi_choice":
        return forms.MultipleChoiceField(
            choices=choices, widget=forms.CheckboxSelectMultiple, **common
        )
    return forms.CharField(max_length=1000, **common)


class CustomFieldsMixin(forms.Form):
    """Adds a `cf_<key>` field per custom field of `incident_type`."""

    def add_custom_fields(self, incident_type: IncidentType | None, values=None) -> None:
        self.custom_definitions = incident_type.custom_fields if incident_type else []
        for definition in self.custom_definitions:
            name = PREFIX + definition["key"]
            self.fields[name] = custom_form_field(definition)
            if values and definition["key"] in values:
                value = values[definition["key"]]
                if isinstance(value, bool):
                    value = "true" if value else "false"
                self.initial[name] = value

    def custom_field_names(self) -> list[str]:
        return [PREFIX + definition["key"] for definition in self.custom_definitions]

    def custom_values(self) -> dict:
        return {
            definition["key"]: self.cleaned_data.get(PREFIX + definition["key"])
            for definition in self.custom_definitions
        }

    def custom_renames(self) -> dict[str, str]:
        """Service error keys → form field names (apply_service_errors' rename)."""
        return {
            error_key(definition["key"]): PREFIX + definition["key"]
            for definition in self.custom_definitions
        }


class TypeChangeForm(Form):
    type = forms.ChoiceField(choices=(), required=False, label="Incident type")

    def __init__(self, *args, incident, **kwargs):
        kwargs.setdefault("auto_id", "id_type_%s")
        kwargs.setdefault(
            "initial", {"type": incident.incident_type.key if incident.incident_type else ""}
        )
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["type"]).choices = type_choices(
            include=incident.incident_type
        )


class TagsForm(Form):
    tags = TagsField(label="Tags")

    def __init__(self, *args, incident, **kwargs):
        kwargs.setdefault("auto_id", "id_tags_%s")
        kwargs.setdefault("initial", {"tags": incident.tags})
        super().__init__(*args, **kwargs)


class CustomFieldsForm(CustomFieldsMixin, Form):
    def __init__(self, *args, incident, **kwargs):
        kwargs.setdefault("auto_id", "id_fields_%s")
        super().__init__(*args, **kwargs)
        self.add_custom_fields(incident.incident_type, incident.custom_fields)


class PlaybookTasksForm(Form):
    keys = forms.MultipleChoiceField(
        choices=(), widget=forms.CheckboxSelectMultiple, label="Add these playbook tasks"
    )

    def __init__(self, *args, entries: list[dict], **kwargs):
        kwargs.setdefault("auto_id", "id_playbook_%s")
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["keys"]).choices = [
            (entry["key"], entry["title"]) for entry in entries
        ]
