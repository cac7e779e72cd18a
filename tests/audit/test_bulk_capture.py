"""Bulk writes bypass model signals; audit/capture.py records them itself, in the same
transaction, with the ids and values (secrets redacted)."""

import json

import pytest
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import ApiToken
from accounts.services import api_token_issue
from audit.capture import BULK_ID_LIMIT
from audit.models import AuditEvent
from audit.services import verify_chain
from incidents.models import Incident, TimelineEntry

pytestmark = pytest.mark.django_db


def newest_event_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def bulk_events(before, action="model.bulk_updated"):
    return list(AuditEvent.objects.filter(id__gt=before, action=action).order_by("id"))


def test_a_queryset_update_records_the_rows_and_values(make_incident):
    incidents = [make_incident(title=f"phishing {n}") for n in range(3)]
    before = newest_event_id()

    count = Incident.objects.filter(title__startswith="phishing").update(severity="critical")

    assert count == 3
    (event,) = bulk_events(before)
    assert event.data["model"] == "incidents.incident"
    assert event.data["count"] == 3
    assert event.data["values"] == {"severity": "critical"}
    assert sorted(event.data["ids"]) == sorted(incident.pk for incident in incidents)
    assert event.data["ids_truncated"] is False
    assert verify_chain().ok


def test_an_update_matching_nothing_records_nothing(db):
    before = newest_event_id()
    assert Incident.objects.filter(title="no such incident").update(severity="low") == 0
    assert bulk_events(before) == []


def test_an_expression_is_recorded_as_its_text(incident):
    before = newest_event_id()
    Incident.objects.filter(pk=incident.pk).update(estimated_affected_people=F("pk") + 1)
    (event,) = bulk_events(before)
    assert "pk" in event.data["values"]["estimated_affected_people"]


def test_a_rolled_back_update_leaves_no_event(incident):
    before = newest_event_id()
    with pytest.raises(RuntimeError), transaction.atomic():
        Incident.objects.filter(pk=incident.pk).update(title="never happened")
        raise RuntimeError("roll back")
    incident.refresh_from_db()
    assert incident.title != "never happened"
    assert bulk_events(before) == []


def test_secrets_are_redacted_in_a_bulk_update(responder):
    token, _raw = api_token_issue(
        user=responder, actor=responder, name="ci", scopes=["incidents:read"]
    )
    before = newest_event_id()
    ApiToken.objects.filter(pk=token.pk).update(token_hash="0" * 64, name="renamed")
    (event,) = bulk_events(before)
    assert event.data["values"] == {"token_hash": "[redacted]", "name": "renamed"}
    assert "0" * 64 not in str(event.data)


def test_the_token_last_use_time_is_bookkeeping_not_an_event(responder):
    token, _raw = api_token_issue(
        user=responder, actor=responder, name="ci", scopes=["incidents:read"]
    )
    before = newest_event_id()
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=token.created_at)
    assert bulk_events(before) == []
    # ...but the same update with any other field is captured.
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=token.created_at, name="x")
    assert len(bulk_events(before)) == 1


def test_bulk_create_records_the_new_ids(incident, responder):
    before = newest_event_id()
    created = TimelineEntry.objects.bulk_create(
        TimelineEntry(incident=incident, body=f"line {n}", author=responder) for n in range(4)
    )
    (event,) = bulk_events(before, "model.bulk_created")
    assert event.data["model"] == "incidents.timelineentry"
    assert event.data["count"] == 4
    assert event.data["ids"] == [entry.pk for entry in created]
    assert [row["body"] for row in event.data["rows"]] == [f"line {n}" for n in range(4)]


def test_bulk_created_secrets_are_redacted(responder):
    before = newest_event_id()
    ApiToken.objects.bulk_create(
        [
            ApiToken(
                user=responder,
                name="bulk",
                prefix="abc",
                token_hash="9" * 64,
                scopes=[],
                expires_at=timezone.now(),
            )
        ]
    )
    (event,) = bulk_events(before, "model.bulk_created")
    assert event.data["rows"][0]["token_hash"] == "[redacted]"
    assert "9" * 64 not in json.dumps(event.data)


def test_adding_to_a_many_to_many_is_one_relation_event_not_a_bulk_create(make_member):
    from django.contrib.auth.models import Group

    person = make_member()
    group = Group.objects.create(name="extra group")
    before = newest_event_id()
    person.groups.add(group)
    actions = list(AuditEvent.objects.filter(id__gt=before).values_list("action", flat=True))
    assert actions == ["model.relation_changed"]


def test_bulk_update_records_each_rows_new_values(incident, responder):
    entries = [
        TimelineEntry.objects.create(incident=incident, body=f"line {n}", author=responder)
        for n in range(2)
    ]
    for entry in entries:
        entry.body = f"corrected {entry.pk}"
    before = newest_event_id()

    assert TimelineEntry.objects.bulk_update(entries, ["body"]) == 2

    (event,) = bulk_events(before)
    assert event.data["fields"] == ["body"]
    assert event.data["values"] == {str(e.pk): {"body": f"corrected {e.pk}"} for e in entries}


def test_a_huge_update_keeps_a_bounded_id_list(make_incident, monkeypatch):
    monkeypatch.setattr("audit.capture.BULK_ID_LIMIT", 2)
    for n in range(3):
        make_incident(title=f"bulk {n}")
    before = newest_event_id()
    Incident.objects.filter(title__startswith="bulk").update(severity="low")
    (event,) = bulk_events(before)
    assert event.data["count"] == 3
    assert len(event.data["ids"]) == 2
    assert event.data["ids_truncated"] is True
    assert BULK_ID_LIMIT == 1000


def test_a_queryset_delete_is_captured_row_by_row(incident, responder):
    TimelineEntry.objects.create(incident=incident, body="to go", author=responder)
    before = newest_event_id()
    TimelineEntry.objects.filter(incident=incident, body="to go").delete()
    events = bulk_events(before, "model.deleted")
    assert [event.data["model"] for event in events] == ["incidents.timelineentry"]
