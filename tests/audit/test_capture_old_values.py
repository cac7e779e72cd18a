"""The capture of a save diffs against the values the instance was loaded with
(core.capture.CapturedModel), without reading the row again; it reads only what it does
not know. The diff is what the save changes relative to what this process read."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from incidents.models import Incident

pytestmark = pytest.mark.django_db

INCIDENT_ROW_READ = 'FROM "incidents_incident"'


def newest_event_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def changes_since(before) -> list[dict]:
    return [
        event.data["changes"]
        for event in AuditEvent.objects.filter(id__gt=before, action="model.updated").order_by("id")
    ]


def incident_reads(queries) -> list[str]:
    return [
        q["sql"] for q in queries if q["sql"].startswith("SELECT") and INCIDENT_ROW_READ in q["sql"]
    ]


def built_by_hand(incident) -> Incident:
    """The same row as an instance not loaded from the database (built with its pk)."""
    built = Incident(
        **{f.attname: getattr(incident, f.attname) for f in Incident._meta.concrete_fields}
    )
    built._state.adding = False
    return built


def test_saving_a_loaded_incident_costs_one_query_fewer_than_an_unknown_one(incident):
    by_hand = built_by_hand(Incident.objects.get(pk=incident.pk))
    by_hand.title = "Renamed by hand"
    with CaptureQueriesContext(connection) as unknown_save:
        by_hand.save()
    loaded = Incident.objects.get(pk=incident.pk)
    loaded.title = "Renamed once loaded"
    before = newest_event_id()

    with CaptureQueriesContext(connection) as loaded_save:
        loaded.save()

    assert len(loaded_save) == len(unknown_save) - 1
    assert incident_reads(loaded_save) == []
    assert len(incident_reads(unknown_save)) == 1
    (changes,) = changes_since(before)
    assert changes["title"] == ["Renamed by hand", "Renamed once loaded"]


def test_a_save_of_some_fields_diffs_those_and_the_next_save_the_rest(incident):
    loaded = Incident.objects.get(pk=incident.pk)
    loaded.title, loaded.severity = "Only the title", "critical"
    before = newest_event_id()

    with CaptureQueriesContext(connection) as queries:
        loaded.save(update_fields=["title"])
    assert incident_reads(queries) == []
    loaded.save()

    first, second = changes_since(before)
    assert set(first) == {"title"}
    assert set(second) == {"severity", "updated_at"}
    assert second["severity"] == ["high", "critical"]


def test_a_second_save_in_the_transaction_diffs_against_the_first(incident):
    loaded = Incident.objects.get(pk=incident.pk)
    original = loaded.title
    before = newest_event_id()
    loaded.title = "First"
    loaded.save()
    loaded.title = "Second"
    loaded.save()
    assert [changes["title"] for changes in changes_since(before)] == [
        [original, "First"],
        ["First", "Second"],
    ]


def test_once_a_save_commits_its_values_are_known(incident, django_capture_on_commit_callbacks):
    loaded = Incident.objects.get(pk=incident.pk)
    with django_capture_on_commit_callbacks(execute=True):
        loaded.title = "Committed"
        loaded.save()
    loaded.title = "After the commit"
    before = newest_event_id()
    with CaptureQueriesContext(connection) as queries:
        loaded.save()
    assert incident_reads(queries) == []
    (changes,) = changes_since(before)
    assert changes["title"] == ["Committed", "After the commit"]


def test_a_rolled_back_save_is_not_taken_for_what_the_row_holds(incident):
    loaded = Incident.objects.get(pk=incident.pk)
    original = loaded.title
    loaded.title = "Rolled back"
    with pytest.raises(RuntimeError), transaction.atomic():
        loaded.save()
        raise RuntimeError("roll back")
    before = newest_event_id()
    loaded.save()
    (changes,) = changes_since(before)
    assert changes["title"] == [original, "Rolled back"]


def test_a_value_changed_in_place_is_still_a_change(incident):
    loaded = Incident.objects.get(pk=incident.pk)
    loaded.attack_vectors.append("phishing")
    before = newest_event_id()
    loaded.save()
    (changes,) = changes_since(before)
    assert changes["attack_vectors"] == [[], ["phishing"]]


def test_a_deferred_field_is_read_when_it_is_saved(incident):
    # The reference too: the audit event's label (str(incident)) shows it.
    partial = Incident.objects.only("title", "reference").get(pk=incident.pk)
    partial.title = "From a partial load"
    before = newest_event_id()
    with CaptureQueriesContext(connection) as queries:
        partial.save()  # Django writes only the loaded fields
    assert incident_reads(queries) == []
    assert set(changes_since(before)[0]) == {"title"}

    partial.severity = "low"  # loads the deferred field first (refresh_from_db)
    partial.save(update_fields=["severity"])
    assert changes_since(before)[1] == {"severity": ["high", "low"]}


def test_a_refresh_moves_what_the_save_diffs_against(incident):
    loaded = Incident.objects.get(pk=incident.pk)
    Incident.objects.filter(pk=incident.pk).update(title="Changed elsewhere")
    loaded.refresh_from_db()
    loaded.severity = "low"
    before = newest_event_id()
    loaded.save()
    (changes,) = changes_since(before)
    assert set(changes) == {"severity", "updated_at"}


def test_a_change_made_elsewhere_since_the_load_is_its_own_event(incident):
    """The trade-off (audit/capture.py): this save wrote the title it read back over the
    other change, and shows only its own change; the other change is on record as
    itself. Services lock the row when they load it, so no such change comes between."""
    loaded = Incident.objects.get(pk=incident.pk)
    original = loaded.title
    before = newest_event_id()
    Incident.objects.filter(pk=incident.pk).update(title="Changed elsewhere")
    loaded.severity = "low"
    loaded.save()

    (other,) = AuditEvent.objects.filter(id__gt=before, action="model.bulk_updated")
    assert other.data["values"] == {"title": "Changed elsewhere"}
    (changes,) = changes_since(before)
    assert set(changes) == {"severity", "updated_at"}
    assert Incident.objects.get(pk=incident.pk).title == original


def test_another_row_under_a_changed_primary_key_is_read(make_incident):
    first, second = make_incident(title="First"), make_incident(title="Second")
    loaded = Incident.objects.get(pk=first.pk)
    loaded.pk = loaded.id = second.pk
    loaded.reference = second.reference
    before = newest_event_id()
    loaded.save()
    (changes,) = changes_since(before)
    assert changes["title"] == ["Second", "First"]
