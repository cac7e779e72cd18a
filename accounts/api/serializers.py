"""Serializer building blocks shared by every app's API."""

from collections.abc import Mapping

from rest_framework import serializers


class StrictFieldsMixin:
    """Refuses keys that are not writable fields, instead of silently ignoring them."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(set(data) - writable)
            if unknown:
                raise serializers.ValidationError(
                    {name: ["Unknown or read-only field."] for name in unknown}
                )
        return super().to_internal_value(data)
