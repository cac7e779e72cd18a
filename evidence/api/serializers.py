"""Evidence API shapes. No business rules here: services decide, serializers translate."""

from __future__ import annotations

from rest_framework import serializers

from accounts.api.serializers import StrictFieldsMixin
from accounts.models import User
from core.marking import TLP
from evidence.models import CustodyEvent, EvidenceItem, Kind
from incidents.models import Incident


class EvidenceSerializer(serializers.ModelSerializer):
    incident: serializers.PrimaryKeyRelatedField[Incident] = serializers.PrimaryKeyRelatedField(
        read_only=True
    )
    collected_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )

    class Meta:
        model = EvidenceItem
        fields = (
            "id",
            "incident",
            "status",
            "kind",
            "original_name",
            "size",
            "receipt_sha256",
            "sender_sha256",
            "sha256",
            "sha1",
            "md5",
            "description",
            "source_host",
            "source_path",
            "collected_at",
            "collected_by",
            "duplicate_of",
            "hashed_at",
            "disposed_at",
            "created_at",
            "tlp",
        )
        read_only_fields = fields


class EvidenceUploadSerializer(StrictFieldsMixin, serializers.Serializer):
    """The multipart body of an upload (CONTRACT.md)."""

    file = serializers.FileField(allow_empty_file=True, use_url=False)
    kind = serializers.ChoiceField(choices=Kind.choices, default=Kind.FILE)
    description = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    source_host = serializers.CharField(required=False, allow_blank=True, max_length=255)
    source_path = serializers.CharField(required=False, allow_blank=True, max_length=4096)
    collected_at = serializers.DateTimeField(required=False, allow_null=True)
    sha256 = serializers.RegexField(
        r"^[0-9a-fA-F]{64}$",
        required=False,
        allow_blank=True,
        help_text="The sender's own SHA-256 of the file (64 hexadecimal characters).",
        error_messages={"invalid": "Give the SHA-256 as 64 hexadecimal characters."},
    )
    tlp = serializers.ChoiceField(
        choices=TLP.choices,
        required=False,
        help_text="Traffic Light Protocol 2.0 of the item; the incident's when left out.",
    )


class CustodyEventSerializer(serializers.ModelSerializer):
    actor: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )

    class Meta:
        model = CustodyEvent
        fields = ("id", "action", "actor", "at", "ip", "reason", "sha256", "data")
        read_only_fields = fields
