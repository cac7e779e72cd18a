"""Browser form for pushing evidence; the file itself arrives through the streaming
upload handler (evidence.uploads), the rest is validated here and by the service."""

from django import forms

from core.forms import Form
from core.marking import TLP
from evidence.models import Kind

DATETIME_LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


class EvidenceUploadForm(Form):
    kind = forms.ChoiceField(choices=Kind.choices, initial=Kind.FILE)
    description = forms.CharField(
        required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": 2})
    )
    source_host = forms.CharField(required=False, max_length=255, label="Source host")
    source_path = forms.CharField(required=False, max_length=4096, label="Path on the source host")
    collected_at = forms.DateTimeField(
        required=False,
        label="Collected at (UTC)",
        input_formats=[DATETIME_LOCAL_FORMAT, "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL_FORMAT),
    )
    sha256 = forms.RegexField(
        regex=r"^[0-9a-fA-F]{64}$",
        required=False,
        label="Your SHA-256 of the file (optional)",
        error_messages={"invalid": "Give the SHA-256 as 64 hexadecimal characters."},
    )
    tlp = forms.ChoiceField(
        choices=[("", "The incident's"), *TLP.choices],
        required=False,
        label="TLP",
        help_text="Traffic Light Protocol 2.0; the incident's unless you choose one.",
    )
