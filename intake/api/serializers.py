"""Alert API shapes. No business rules here: services decide, serializers translate."""

from __future__ import annotations

import json

from rest_framework import serializers

from accounts.api.serializers import StrictFieldsMixin
from accounts.models import User
from incidents.models import Severity
from intake.models import (
    REASON_MAX_LENGTH,
    SOURCE_MAX_LENGTH,
    SOURCE_REF_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    TYPE_NAME_MAX_LENGTH,
    Alert,
)
from intake.services import MAX_ALERTS_PER_REQUEST, MAX_OBSERVABLES_PER_ALERT, AlertInput
from observables.values import MAX_VALUE_LENGTH, ObservableType


class AlertObservableInputSerializer(StrictFieldsMixin, serializers.Serializer):
    type = serializers.ChoiceField(choices=ObservableType.choices)
    value = serializers.CharField(max_length=MAX_VALUE_LENGTH, trim_whitespace=False)


class AlertInputSerializer(StrictFieldsMixin, serializers.Serializer):
    """One alert (CONTRACT.md): `source` and `title` are required."""

    # A field named `source` (CONTRACT.md); DRF's metaclass takes it off the class.
    source = serializers.CharField(max_length=SOURCE_MAX_LENGTH)  # type: ignore[assignment]
    source_ref = serializers.CharField(
        max_length=SOURCE_REF_MAX_LENGTH,
        required=False,
        allow_blank=True,
        help_text="The sender's own id: the same source and reference is one alert.",
    )
    title = serializers.CharField(max_length=TITLE_MAX_LENGTH)
    severity = serializers.ChoiceField(
        choices=Severity.choices, required=False, default=Severity.MEDIUM
    )
    type = serializers.CharField(max_length=TYPE_NAME_MAX_LENGTH, required=False, allow_blank=True)
    description = serializers.CharField(
        required=False, allow_blank=True, max_length=20_000, trim_whitespace=False
    )
    observed_at = serializers.DateTimeField(required=False, allow_null=True)
    observables = serializers.ListField(
        child=AlertObservableInputSerializer(),
        required=False,
        max_length=MAX_OBSERVABLES_PER_ALERT,
    )

    def to_input(self, data: dict, raw) -> AlertInput:
        fields = dict(data)
        fields["observables"] = [(o["type"], o["value"]) for o in fields.get("observables", [])]
        return AlertInput(**fields, raw=json.dumps(raw, ensure_ascii=False, indent=1))


class AlertListInputSerializer(serializers.ListSerializer):
    child = AlertInputSerializer()
    max_length = MAX_ALERTS_PER_REQUEST
    allow_empty = False


class ReceivedSerializer(serializers.Serializer):
    """The answer for each alert sent."""

    id = serializers.IntegerField()
    status = serializers.CharField()
    count = serializers.IntegerField()
    created = serializers.BooleanField(help_text="False: a duplicate of an existing alert.")

    @staticmethod
    def answer(alert: Alert, created: bool) -> dict:
        return {"id": alert.pk, "status": alert.status, "count": alert.count, "created": created}


class AlertIncidentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()


class AlertObservableSerializer(serializers.Serializer):
    type = serializers.CharField()
    value = serializers.CharField()
    normalized_value = serializers.CharField()
    proposed = serializers.BooleanField()


class AlertSerializer(serializers.ModelSerializer):
    observables = AlertObservableSerializer(many=True, read_only=True)
    incident = serializers.SerializerMethodField(
        help_text="The incident it became or joined, when the caller may see it."
    )
    sender: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    raw_payload = serializers.CharField(
        read_only=True, help_text="The item as received, as text (never rendered)."
    )

    class Meta:
        model = Alert
        fields = (
            "id",
            "source",
            "source_ref",
            "title",
            "description",
            "severity",
            "type",
            "observed_at",
            "status",
            "ignore_reason",
            "count",
            "first_seen",
            "last_seen",
            "incident",
            "observables",
            "notes",
            "sender",
            "raw_payload",
        )
        read_only_fields = fields

    def get_incident(self, alert: Alert) -> dict | None:
        visible = self.context.get("visible_incidents", set())
        if alert.incident is None or alert.incident_id not in visible:
            return None
        return {"id": alert.incident_id, "reference": alert.incident.reference}


class EscalateSerializer(StrictFieldsMixin, serializers.Serializer):
    title = serializers.CharField(
        max_length=TITLE_MAX_LENGTH, required=False, help_text="Default: the alert's title."
    )


class EscalateManySerializer(EscalateSerializer):
    alerts = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        min_length=1,
        max_length=MAX_ALERTS_PER_REQUEST,
    )


class MergeSerializer(StrictFieldsMixin, serializers.Serializer):
    incident = serializers.IntegerField(min_value=1, max_value=2**63 - 1)


class ReasonSerializer(StrictFieldsMixin, serializers.Serializer):
    reason = serializers.CharField(max_length=REASON_MAX_LENGTH, required=False, allow_blank=True)


class IgnoreSerializer(StrictFieldsMixin, serializers.Serializer):
    reason = serializers.CharField(max_length=REASON_MAX_LENGTH)
