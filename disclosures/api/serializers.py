"""Disclosure API shapes. No business rules here: services decide, serializers translate."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.serializers import StrictFieldsMixin
from accounts.models import User
from disclosures import regimes, selectors
from disclosures.models import Approval, Audience, Disclosure, DisclosureVersion, Regime
from disclosures.services import MAX_BODY_LENGTH


class DeadlineSerializer(serializers.Serializer):
    name = serializers.CharField()
    # The serializer's metaclass takes declared fields out of the class; the stub sees
    # this one as overriding Field.label, a string.
    label = serializers.CharField()  # type: ignore[assignment]
    starts_at = serializers.DateTimeField(allow_null=True)
    due_at = serializers.DateTimeField(
        allow_null=True, help_text="Null when the law sets no fixed time or the clock waits."
    )
    note = serializers.CharField()


class ApprovalSerializer(serializers.ModelSerializer):
    approver: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    version = serializers.IntegerField(source="version.number", read_only=True)

    class Meta:
        model = Approval
        fields = ("approver", "role", "version", "body_sha256", "approved_at", "voided_at")
        read_only_fields = fields


class ChecklistEntrySerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field, as above
    done = serializers.BooleanField()


class DisclosureSerializer(serializers.ModelSerializer):
    incident_reference = serializers.CharField(source="incident.reference", read_only=True)
    version = serializers.IntegerField(source="current_version.number", read_only=True)
    version_sha256 = serializers.CharField(source="current_version.sha256", read_only=True)
    body = serializers.CharField(source="current_version.body", read_only=True)
    created_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    deadlines = serializers.SerializerMethodField()
    approvals = ApprovalSerializer(many=True, read_only=True)
    checklist = serializers.SerializerMethodField()

    class Meta:
        model = Disclosure
        fields = (
            "id",
            "incident",
            "incident_reference",
            "audience",
            "regime",
            "status",
            "version",
            "version_sha256",
            "body",
            "deadlines",
            "approvals",
            "checklist",
            "materiality_determined_at",
            "late_reason",
            "created_by",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields

    @extend_schema_field(DeadlineSerializer(many=True))
    def get_deadlines(self, disclosure) -> list[dict]:
        deadlines = DeadlineSerializer(selectors.deadlines_of(disclosure), many=True)
        # many=True makes a ListSerializer (data is a list), which the stub cannot express.
        return deadlines.data  # type: ignore[return-value]

    @extend_schema_field(ChecklistEntrySerializer(many=True))
    def get_checklist(self, disclosure) -> list[dict]:
        entries = regimes.checklist(disclosure.regime, disclosure.current_version.body)
        checklist = ChecklistEntrySerializer(entries, many=True)
        return checklist.data  # type: ignore[return-value]  # a list, as above


class DisclosureCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    audience = serializers.ChoiceField(choices=Audience.choices)
    regime = serializers.ChoiceField(choices=Regime.choices, default=Regime.NONE)
    materiality_determined_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="SEC 8-K only: starts its clock."
    )


class VersionSerializer(serializers.ModelSerializer):
    author: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )

    class Meta:
        model = DisclosureVersion
        fields = ("number", "body", "sha256", "author", "created_at")
        read_only_fields = fields


class VersionCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    body = serializers.CharField(max_length=MAX_BODY_LENGTH, trim_whitespace=False)


class WithdrawSerializer(StrictFieldsMixin, serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)
