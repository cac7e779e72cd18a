"""Observable API shapes. No business rules here: services decide, serializers translate
(the value is checked against its type here too, so each refused item names its field)."""

from __future__ import annotations

from rest_framework import serializers

from accounts.api.serializers import StrictFieldsMixin
from accounts.models import User
from core.marking import PAP, TLP
from evidence.models import EvidenceItem
from observables.models import MAX_TAG_LENGTH, MAX_TAGS, Observable
from observables.selectors import Related
from observables.services import MAX_ITEMS_PER_REQUEST, ObservableInput
from observables.values import MAX_VALUE_LENGTH, ObservableType


class IncidentRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()


class ObservableInputSerializer(StrictFieldsMixin, serializers.Serializer):
    """One observable to add (CONTRACT.md); only `type` and `value` are required."""

    type = serializers.ChoiceField(choices=ObservableType.choices)
    value = serializers.CharField(max_length=MAX_VALUE_LENGTH, trim_whitespace=False)
    tlp = serializers.ChoiceField(
        choices=TLP.choices, required=False, help_text="The incident's TLP when left out."
    )
    pap = serializers.ChoiceField(
        choices=PAP.choices, required=False, help_text="The incident's PAP when left out."
    )
    is_ioc = serializers.BooleanField(required=False, default=None, allow_null=True)
    sighted = serializers.BooleanField(required=False, default=None, allow_null=True)
    ignore_for_correlation = serializers.BooleanField(required=False, default=None, allow_null=True)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=MAX_TAG_LENGTH),
        max_length=MAX_TAGS,
        required=False,
    )
    description = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    first_seen = serializers.DateTimeField(required=False)
    last_seen = serializers.DateTimeField(required=False)
    evidence = serializers.IntegerField(
        required=False, min_value=1, help_text="An evidence item of the same incident."
    )

    # The value is checked against its type by the service (observables.values), once
    # for every item, its errors named `value` with the item's number.

    def to_input(self, data: dict) -> ObservableInput:
        fields = dict(data)
        fields["evidence_id"] = fields.pop("evidence", None)
        return ObservableInput(**fields)


_PLAIN_KEYS = frozenset({"type", "value"})
_TYPES = frozenset(ObservableType.values)
# What ObservableInputSerializer gives for an item with only a type and a value.
_PLAIN_DEFAULTS = {"is_ioc": None, "sighted": None, "ignore_for_correlation": None}


def plain_item(data) -> dict | None:
    """The validated form of an item holding only a known type and an ordinary value
    (a non-empty ASCII string within the length, no NUL), exactly as the child
    serializer would give it; None for anything else, which the child then validates
    and, if need be, refuses with its own messages."""
    if type(data) is not dict or data.keys() != _PLAIN_KEYS:
        return None
    type_, value = data["type"], data["value"]
    if type(type_) is not str or type_ not in _TYPES or type(value) is not str:
        return None
    if not value or len(value) > MAX_VALUE_LENGTH or not value.isascii() or "\x00" in value:
        return None
    return {"type": type_, "value": value, **_PLAIN_DEFAULTS}


class ObservableListInputSerializer(serializers.ListSerializer):
    child = ObservableInputSerializer()
    max_length = MAX_ITEMS_PER_REQUEST
    allow_empty = False

    def run_child_validation(self, data):
        # A thousand items of a type and a value are the common bulk request; walking
        # every field of the child for each was a third of its time.
        plain = plain_item(data)
        return plain if plain is not None else super().run_child_validation(data)


class ObservableSerializer(serializers.ModelSerializer):
    incident: serializers.Field = IncidentRefSerializer(read_only=True)
    created_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    evidence: serializers.PrimaryKeyRelatedField[EvidenceItem] = serializers.PrimaryKeyRelatedField(
        read_only=True
    )
    value_unicode = serializers.SerializerMethodField(
        help_text="An internationalised name's Unicode form (the value holds its A-label)."
    )
    homograph = serializers.SerializerMethodField(
        help_text="Whether that Unicode form may pass for another name."
    )

    class Meta:
        model = Observable
        fields: tuple[str, ...] = (
            "id",
            "incident",
            "type",
            "value",
            "normalized_value",
            "value_unicode",
            "homograph",
            "tlp",
            "pap",
            "is_ioc",
            "sighted",
            "sighted_at",
            "ignore_for_correlation",
            "tags",
            "description",
            "source",
            "first_seen",
            "last_seen",
            "evidence",
            "created_by",
            "created_at",
            "updated_at",
        )
        read_only_fields: tuple[str, ...] = fields

    def get_value_unicode(self, observable) -> str | None:
        return observable.shown["unicode"]

    def get_homograph(self, observable) -> bool:
        return observable.shown["homograph"]


class IncidentObservableSerializer(ObservableSerializer):
    """An incident's observable with `related`: the other incidents the caller may see
    that hold the same type and normalised value (the first RELATED_LIMIT; their number
    in `related_count`)."""

    related = serializers.SerializerMethodField()
    related_count = serializers.SerializerMethodField()

    class Meta(ObservableSerializer.Meta):
        fields = (*ObservableSerializer.Meta.fields, "related", "related_count")
        read_only_fields = fields

    def _related(self, observable) -> Related:
        return self.context.get("related", {}).get(observable.pk) or Related()

    @staticmethod
    def _refs(related: Related) -> list[dict]:
        return [{"id": pk, "reference": reference} for pk, reference in related.incidents]

    def get_related(self, observable) -> list[dict]:
        return self._refs(self._related(observable))

    def get_related_count(self, observable) -> int:
        return self._related(observable).total


class AddedSerializer(serializers.Serializer):
    """One item of the answer to a POST (up to a thousand of them, so written out
    directly): what it is now and whether this request `created` it."""

    id = serializers.IntegerField()
    type = serializers.ChoiceField(choices=ObservableType.choices)
    value = serializers.CharField()
    normalized_value = serializers.CharField()
    tlp = serializers.ChoiceField(choices=TLP.choices)
    pap = serializers.ChoiceField(choices=PAP.choices)
    is_ioc = serializers.BooleanField()
    sighted = serializers.BooleanField()
    tags = serializers.ListField(child=serializers.CharField())
    # The metaclass takes declared fields off the class: no clash with Field.source.
    source = serializers.CharField()  # type: ignore[assignment]
    evidence = serializers.IntegerField(allow_null=True)
    value_unicode = serializers.CharField(allow_null=True)
    homograph = serializers.BooleanField()
    created = serializers.BooleanField()

    @staticmethod
    def answer(observable, created: bool) -> dict:
        shown = observable.shown
        return {
            "id": observable.pk,
            "type": observable.type,
            "value": observable.value,
            "normalized_value": observable.normalized_value,
            "tlp": observable.tlp,
            "pap": observable.pap,
            "is_ioc": observable.is_ioc,
            "sighted": observable.sighted,
            "tags": observable.tags,
            "source": observable.source,
            "evidence": observable.evidence_id,
            "value_unicode": shown["unicode"],
            "homograph": shown["homograph"],
            "created": created,
        }


class ObservableUpdateSerializer(StrictFieldsMixin, serializers.Serializer):
    """PATCH body: what may change (type and value must stay unique on the incident)."""

    type = serializers.ChoiceField(choices=ObservableType.choices, required=False)
    value = serializers.CharField(max_length=MAX_VALUE_LENGTH, required=False)
    tlp = serializers.ChoiceField(choices=TLP.choices, required=False)
    pap = serializers.ChoiceField(choices=PAP.choices, required=False)
    is_ioc = serializers.BooleanField(required=False)
    sighted = serializers.BooleanField(required=False)
    sighted_at = serializers.DateTimeField(required=False, allow_null=True)
    ignore_for_correlation = serializers.BooleanField(required=False)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=MAX_TAG_LENGTH), max_length=MAX_TAGS, required=False
    )
    description = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    first_seen = serializers.DateTimeField(required=False, allow_null=True)
    last_seen = serializers.DateTimeField(required=False, allow_null=True)


class ObservableDeleteSerializer(StrictFieldsMixin, serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text="Why it is removed (audited).")


class LookupResultSerializer(ObservableSerializer):
    """A look-up hit: the observable and its incident."""

    incident: serializers.Field = serializers.SerializerMethodField()

    def get_incident(self, observable) -> dict:
        incident = observable.incident
        return {"id": incident.pk, "reference": incident.reference, "title": incident.title}
