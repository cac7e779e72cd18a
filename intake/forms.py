"""The queue's filters and its bulk-action form."""

from __future__ import annotations

from django import forms

from core.forms import Form, UTCDateTimeField
from incidents.models import Severity
from intake.models import REASON_MAX_LENGTH, SOURCE_MAX_LENGTH, AlertStatus
from intake.services import MAX_ALERTS_PER_TRIAGE

HAS_OBSERVABLES = [("", "Either"), ("yes", "With observables"), ("no", "Without")]


class AlertFilterForm(Form):
    """GET filters of the queue. An invalid value is reported and that filter ignored."""

    status = forms.ChoiceField(
        choices=[("", "Any status"), *AlertStatus.choices], required=False, label="Status"
    )
    source = forms.CharField(required=False, max_length=SOURCE_MAX_LENGTH, label="Source")
    severity = forms.ChoiceField(
        choices=[("", "Any severity"), *Severity.choices], required=False, label="Severity"
    )
    type = forms.CharField(required=False, max_length=64, label="Type")
    observable = forms.CharField(
        required=False, max_length=512, label="Observable", help_text="A normalised value."
    )
    has_observables = forms.ChoiceField(
        choices=HAS_OBSERVABLES, required=False, label="Observables"
    )

    def valid_filters(self) -> dict:
        self.is_valid()
        filters = {
            name: value
            for name, value in self.cleaned_data.items()
            if name not in self.errors and value and name != "has_observables"
        }
        choice = "" if "has_observables" in self.errors else self.cleaned_data["has_observables"]
        if choice:
            filters["has_observables"] = choice == "yes"
        return filters


class BulkActionForm(Form):
    ACKNOWLEDGE, IGNORE, ESCALATE, MERGE = "acknowledge", "ignore", "escalate", "merge"

    action = forms.ChoiceField(
        choices=[
            (ACKNOWLEDGE, "Acknowledge"),
            (IGNORE, "Ignore (give a reason)"),
            (ESCALATE, "Escalate into a new incident"),
            (MERGE, "Merge into an incident"),
        ]
    )
    alerts = forms.TypedMultipleChoiceField(coerce=int, choices=[], label="Alerts")
    reason = forms.CharField(required=False, max_length=REASON_MAX_LENGTH)
    incident = forms.CharField(
        required=False, max_length=32, help_text="The incident's reference or id (merge)."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any ids: which exist and are in sight is the view's question (404 otherwise).
        self.fields["alerts"].choices = [
            (value, value) for value in (self.data.getlist("alerts") if self.data else [])
        ]

    def clean_alerts(self):
        alerts = self.cleaned_data["alerts"]
        if len(alerts) > MAX_ALERTS_PER_TRIAGE:
            raise forms.ValidationError(f"At most {MAX_ALERTS_PER_TRIAGE} alerts at once.")
        return alerts

    def clean(self):
        data = super().clean()
        action = data.get("action")
        if action == self.IGNORE and not (data.get("reason") or "").strip():
            self.add_error("reason", "Say why these alerts are ignored.")
        if action == self.MERGE and not (data.get("incident") or "").strip():
            self.add_error("incident", "Name the incident to merge into.")
        return data


class SuppressionRuleForm(Form):
    source = forms.CharField(required=False, max_length=SOURCE_MAX_LENGTH)
    type = forms.CharField(required=False, max_length=64)
    severity = forms.ChoiceField(choices=[("", "Any severity"), *Severity.choices], required=False)
    observable_value = forms.CharField(required=False, max_length=512, label="Observable value")
    ends_at = UTCDateTimeField(required=False, label="Until (UTC)", help_text="Empty: until ended.")
    reason = forms.CharField(max_length=REASON_MAX_LENGTH)
