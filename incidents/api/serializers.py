"""Incident API shapes. No business rules here: services decide, serializers translate."""

from __future__ import annotations

from rest_framework import serializers

from accounts.api.serializers import StrictFieldsMixin
from accounts.models import User
from incidents.lifecycle import Status
from incidents.models import (
    MAX_LIST_ITEM_LENGTH,
    MAX_LIST_ITEMS,
    MAX_TAG_LENGTH,
    MAX_TAGS,
    DataCategory,
    Incident,
    IncidentType,
)

READ_ONLY_FIELDS: tuple[str, ...] = (
    "id",
    "reference",
    "status",
    "contained_at",
    "resolved_at",
    "reporter",
    "created_at",
    "updated_at",
)


class IncidentSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    reporter: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    attack_vectors = serializers.ListField(
        child=serializers.CharField(max_length=MAX_LIST_ITEM_LENGTH),
        max_length=MAX_LIST_ITEMS,
        required=False,
    )
    data_categories = serializers.ListField(
        child=serializers.ChoiceField(choices=DataCategory.choices), required=False
    )
    aware_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="Defaults to now."
    )
    type: serializers.SlugRelatedField[IncidentType] = serializers.SlugRelatedField(
        source="incident_type",
        slug_field="key",
        queryset=IncidentType.objects.active(),
        required=False,
        allow_null=True,
        help_text="An incident type's key: its playbook's tasks and custom fields apply.",
    )
    tags = serializers.ListField(
        child=serializers.CharField(max_length=MAX_TAG_LENGTH),
        max_length=MAX_TAGS,
        required=False,
    )
    custom_fields = serializers.DictField(
        required=False, help_text="Values of the type's custom fields, keyed by field key."
    )

    class Meta:
        model = Incident
        fields: tuple[str, ...] = (
            *READ_ONLY_FIELDS[:3],
            "title",
            "description",
            "severity",
            "occurred_at",
            "discovered_at",
            "aware_at",
            *READ_ONLY_FIELDS[3:5],
            "discovery_method",
            "attack_vectors",
            "data_categories",
            "estimated_affected_people",
            "restricted",
            "tlp",
            "pap",
            "type",
            "tags",
            "custom_fields",
            *READ_ONLY_FIELDS[5:],
        )
        read_only_fields = READ_ONLY_FIELDS

    def validate_data_categories(self, value):
        return list(dict.fromkeys(value))


class IncidentUpdateSerializer(IncidentSerializer):
    """PATCH body: the facts, plus `status` (with `reason` when moving back a step)."""

    status = serializers.ChoiceField(choices=Status.choices, required=False)
    reason = serializers.CharField(
        required=False, allow_blank=True, write_only=True, max_length=2000
    )
    aware_at = serializers.DateTimeField(required=False)

    class Meta(IncidentSerializer.Meta):
        fields = (*IncidentSerializer.Meta.fields, "reason")
        read_only_fields = tuple(name for name in READ_ONLY_FIELDS if name != "status")
