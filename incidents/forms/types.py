"""Forms of the type pages: a type (its structured parts as JSON), the import file,
a managed tag."""

from __future__ import annotations

import json

from django import forms

from core.forms import Form
from core.marking import TLP
from incidents.forms.classification import TagsField, tags_from_text
from incidents.models import IncidentType, Severity, Tag

MAX_JSON_INPUT = 200_000
MAX_IMPORT_BYTES = 2_000_000
JSON_PARTS = ("playbook", "custom_fields", "review_sections")


class JSONTextField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 10, "class": "monospace", "spellcheck": "false"})

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", MAX_JSON_INPUT)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return json.dumps(value, indent=2, ensure_ascii=False) if isinstance(value, list) else value

    def clean(self, value):
        text = super().clean(value).strip()
        if not text:
            return []
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise forms.ValidationError(
                f"Not JSON: {error.msg} (line {error.lineno}, column {error.colno})."
            ) from None


class IncidentTypeForm(Form):
    key = forms.SlugField(
        max_length=50, help_text="Lower-case letters, digits and _; never changes."
    )
    name = forms.CharField(max_length=100)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    default_severity = forms.ChoiceField(choices=[("", "None"), *Severity.choices], required=False)
    default_tlp = forms.ChoiceField(
        choices=[("", "None"), *TLP.choices], required=False, label="Default TLP"
    )
    default_tags = TagsField(label="Default tags")
    disclosure_regimes = forms.CharField(
        required=False,
        max_length=500,
        help_text="Regimes to suggest, comma-separated (gdpr_art33, nis2, sec_8k…).",
    )
    playbook = JSONTextField(
        help_text=(
            "A list of tasks: key, title, phase (assess_contain, disclose, find_patch, "
            "prepare), optional description, assignee_role, due_hours (after aware_at), "
            "after (keys of tasks that come first)."
        )
    )
    custom_fields = JSONTextField(
        label="Custom fields",
        help_text=(
            "A list of fields: key, label, kind (text, number, date, choice, multi_choice, "
            "boolean, url), required, help_text, choices."
        ),
    )
    review_sections = JSONTextField(
        label="Review sections",
        help_text="A list of sections: key, title, guidance (after the review's general sections).",
    )

    def __init__(self, *args, incident_type: IncidentType | None = None, **kwargs):
        if incident_type is not None:
            kwargs.setdefault("initial", incident_type.to_document())
        super().__init__(*args, **kwargs)
        if incident_type is not None:
            self.fields["key"].disabled = True

    def clean_disclosure_regimes(self) -> list[str]:
        return tags_from_text(self.cleaned_data["disclosure_regimes"])

    def document(self, *, retired: bool = False) -> dict:
        data = self.cleaned_data
        document = {name: data[name] for name in data}
        for name in ("default_severity", "default_tlp"):
            if not document[name]:
                del document[name]
        document["retired"] = retired
        return document

    def apply_path_errors(self, error) -> None:
        """Show a document error (keyed by its path, `playbook[2].phase`) on the field
        that holds it, with the path in the message."""
        for path, messages in error.message_dict.items():
            field = path.split("[")[0].split(".")[0]
            for message in messages:
                if field in self.fields:
                    self.add_error(field, f"{path}: {message}" if path != field else message)
                else:
                    self.add_error(None, f"{path}: {message}")


class IncidentTypeImportForm(Form):
    file = forms.FileField(help_text="A JSON file as the export writes it.")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(f"At most {MAX_IMPORT_BYTES // 1_000_000} MB.")
        try:
            return json.loads(upload.read().decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise forms.ValidationError(f"Not a JSON file: {error}.") from None


class TagForm(Form):
    name = forms.CharField(max_length=Tag._meta.get_field("name").max_length)
    colour = forms.CharField(
        max_length=7, initial="#6b7280", widget=forms.TextInput(attrs={"type": "color"})
    )
    description = forms.CharField(max_length=200, required=False)
