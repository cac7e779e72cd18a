"""Browser forms for disclosures. They translate HTTP input into service arguments;
disclosures/services.py decides what is allowed and valid."""

from __future__ import annotations

from django import forms

from core.fields import BoundedIntegerField
from core.forms import Form, UTCDateTimeField
from disclosures.models import Audience, Regime
from disclosures.services import MAX_BODY_LENGTH, MAX_CHANNEL_LENGTH, MAX_RECIPIENTS_LENGTH

MAX_REASON_LENGTH = 2000


class NewDisclosureForm(Form):
    audience = forms.ChoiceField(choices=Audience.choices)
    regime = forms.ChoiceField(
        choices=Regime.choices,
        initial=Regime.NONE,
        help_text="GDPR Art. 33, NIS2 and SEC 8-K go to the regulator; GDPR Art. 34 to the "
        "people affected (users); HIPAA to users or the regulator.",
    )
    materiality_determined_at = UTCDateTimeField(
        required=False, label="Materiality determined at (UTC, SEC 8-K only)"
    )


class EditForm(Form):
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 28, "spellcheck": "true"}),
        max_length=MAX_BODY_LENGTH,
        strip=False,
        label="Text of the notice",
        help_text="Saving writes a new version. Fill in every [TO BE CONFIRMED: …] blank.",
    )


class ApproveForm(Form):
    sha256 = forms.RegexField(
        regex=r"^[0-9a-f]{64}$",
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid": "The version's hash is malformed."},
    )


class PublishForm(Form):
    channel = forms.CharField(
        max_length=MAX_CHANNEL_LENGTH, help_text="How it went out: e-mail, regulator portal, …"
    )
    recipients = forms.CharField(
        max_length=MAX_RECIPIENTS_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="To whom: addresses, the authority, the list it went to.",
    )
    late_reason = forms.CharField(
        required=False,
        max_length=MAX_REASON_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Reasons for a delay",
        help_text="Required when a GDPR notice goes out after its 72 hours.",
    )


class WithdrawForm(Form):
    reason = forms.CharField(required=False, max_length=MAX_REASON_LENGTH)


class MaterialityForm(Form):
    materiality_determined_at = UTCDateTimeField(label="Materiality determined at (UTC)")


class DiffForm(Form):
    older = BoundedIntegerField(min_value=1, required=False)
    newer = BoundedIntegerField(min_value=1, required=False)


class TemplateForm(Form):
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 28}),
        max_length=MAX_BODY_LENGTH,
        strip=False,
        help_text="Placeholders: $heading, $reference, $title, $what_happened, $discovery, "
        "$systems, $data, $people, $measures, $advice, $legal. Write $$ for a dollar sign.",
    )
