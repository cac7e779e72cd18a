"""core.bulk: CapturedQuerySet.bulk_upsert writes many rows in one statement of one
parameter per column (PostgreSQL), updates those already there, gives each object its
row's key, refuses what the columns refuse, and is recorded like any bulk_create."""

import pytest
from django.db import DataError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEvent
from core import bulk
from observables.models import Observable
from observables.values import value_digest

pytestmark = pytest.mark.django_db

UNIQUE = ["incident", "type", "value_digest"]


def row(incident, lead, value, **fields):
    now = timezone.now()
    values = {
        "incident": incident,
        "type": "domain",
        "value": value,
        "normalized_value": value,
        "value_digest": value_digest(value),
        "tlp": "amber",
        "pap": "amber",
        "source": "api",
        "tags": ["phishing"],
        "first_seen": now,
        "last_seen": now,
        "created_by": lead,
        "created_at": now,
        "updated_at": now,
    }
    return Observable(**{**values, **fields})


def test_new_rows_are_inserted_in_order_with_their_keys_and_recorded(incident, lead):
    objs = [row(incident, lead, f"n{n}.example") for n in range(5)]
    before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    with CaptureQueriesContext(connection) as queries:
        written = Observable.objects.bulk_upsert(
            objs, unique_fields=UNIQUE, update_fields=["tlp", "tags"]
        )
    assert written == objs
    stored = dict(Observable.objects.filter(incident=incident).values_list("value", "pk"))
    assert [obj.pk for obj in objs] == [stored[f"n{n}.example"] for n in range(5)]
    assert Observable.objects.get(pk=objs[0].pk).tags == ["phishing"]
    event = AuditEvent.objects.get(id__gt=before, action="model.bulk_created")
    assert event.data["model"] == "observables.observable"
    assert sorted(event.data["ids"]) == sorted(obj.pk for obj in objs)
    assert [r["value"] for r in event.data["rows"]] == [f"n{n}.example" for n in range(5)]
    if connection.vendor == "postgresql":
        inserts = [q["sql"] for q in queries if "observables_observable" in q["sql"]]
        assert len(inserts) == 1 and "unnest" in inserts[0]


def test_a_row_already_there_is_updated_in_the_named_fields_only(incident, lead):
    (first,) = Observable.objects.bulk_upsert(
        [row(incident, lead, "seen.example")], unique_fields=UNIQUE, update_fields=["tlp"]
    )
    again = row(incident, lead, "seen.example", tlp="red", description="changed", tags=[])
    Observable.objects.bulk_upsert([again], unique_fields=UNIQUE, update_fields=["tlp"])
    assert again.pk == first.pk
    stored = Observable.objects.get(pk=first.pk)
    assert (stored.tlp, stored.description, stored.tags) == ("red", "", ["phishing"])
    assert Observable.objects.filter(incident=incident).count() == 1


def test_a_value_longer_than_its_column_is_refused_not_cut(incident, lead):
    if not bulk.supports(Observable, connection):
        pytest.skip("the one-statement path is PostgreSQL's")
    too_long = row(incident, lead, "ok.example", tlp="x" * 40)
    with pytest.raises(DataError), transaction.atomic():
        Observable.objects.bulk_upsert([too_long], unique_fields=UNIQUE, update_fields=["tlp"])
    assert not Observable.objects.filter(incident=incident).exists()


def test_null_and_json_values_round_trip(incident, lead):
    obj = row(incident, lead, "nulls.example", sighted_at=None, tags=["a", 'b "quoted"'])
    Observable.objects.bulk_upsert([obj], unique_fields=UNIQUE, update_fields=["tlp"])
    stored = Observable.objects.get(pk=obj.pk)
    assert stored.sighted_at is None and stored.evidence_id is None
    assert stored.tags == ["a", 'b "quoted"']
    assert stored.first_seen == obj.first_seen


def test_models_with_other_fields_are_left_to_django(db):
    from incidents.models import Task

    # A DateField is not one of the plain types: Django's bulk_create writes those.
    assert not bulk.supports(Task, connection)
    assert bulk.supports(Observable, connection) is (connection.vendor == "postgresql")


def test_a_field_that_normalises_its_text_is_stored_as_the_orm_stores_it(incident, lead):
    # Observable.description is core.text's MultilineTextField: its to_python normalises.
    field = Observable._meta.get_field("description")
    raw = "Cafe\u0301 line\nsecond"  # decomposed é: NFC composes it
    assert field.to_python(raw) != raw
    obj = row(incident, lead, "normalised.example", description=raw)
    Observable.objects.bulk_upsert([obj], unique_fields=UNIQUE, update_fields=["tlp"])
    assert Observable.objects.get(pk=obj.pk).description == field.to_python(raw)
    assert bulk.supports(Observable, connection) is (connection.vendor == "postgresql")
