"""What ends up in the audit log: domain events and the generic capture of model writes,
with who did it, from where, on which request, and never a secret in clear."""

import ipaddress
import json

import pytest

from accounts.models import ApiToken
from accounts.roles import Role
from accounts.services import api_token_issue, member_save
from audit.models import AuditEvent
from audit.services import verify_chain
from incidents import services
from incidents.models import CrewMember, Incident

pytestmark = pytest.mark.django_db

URL = "/api/v1/incidents/"
FILING = {"title": "Malware beacon from hr-laptop-7", "severity": "medium"}


def newest_event_id() -> int:
    """Taken just before the test acts: the events after it are the test's own."""
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def events_since(event_id, **filters):
    return list(AuditEvent.objects.filter(id__gt=event_id, **filters).order_by("id"))


def event_text(event) -> str:
    return json.dumps(
        [event.action, event.actor_label, event.target_label, event.target_id, event.data]
    )


def test_filing_records_the_filing_and_the_created_rows(responder):
    before = newest_event_id()
    incident = services.incident_file(reporter=responder, title="Lost laptop", severity="low")

    filed = events_since(before, action="incident.filed")
    assert len(filed) == 1
    assert filed[0].actor == responder
    assert filed[0].actor_label == "rick"
    assert filed[0].target_id == str(incident.pk)
    assert filed[0].target_label.startswith(incident.reference)
    assert filed[0].data == {"reference": incident.reference, "severity": "low", "type": None}

    created = events_since(before, action="model.created")
    models = {event.data["model"] for event in created}
    assert {"incidents.incident", "incidents.timelineentry"} <= models
    incident_row = next(e for e in created if e.data["model"] == "incidents.incident")
    assert incident_row.target_id == str(incident.pk)
    assert incident_row.data["fields"]["title"] == "Lost laptop"
    assert incident_row.data["fields"]["reporter_id"] == responder.pk


def test_filing_through_the_api_names_the_token_owner_as_actor(responder, token_client):
    client = token_client(responder, "incidents:write")
    before = newest_event_id()
    response = client.post(URL, FILING, format="json")
    assert response.status_code == 201

    events = events_since(before)
    assert {"incident.filed", "model.created"} <= {event.action for event in events}
    # Including the generic captures, which are given no actor and take the request's.
    assert {event.actor_label for event in events} == {"rick"}
    assert {event.actor_id for event in events} == {responder.pk}


def test_an_update_records_only_the_changed_fields_as_old_and_new(incident, responder):
    before = newest_event_id()
    services.incident_update(
        incident=incident, actor=responder, title="Renamed", description=incident.description
    )

    (updated,) = events_since(before, action="model.updated")
    changes = updated.data["changes"]
    assert changes["title"] == [incident.title, "Renamed"]
    assert set(changes) == {"title", "updated_at"}  # updated_at moves with every save
    (domain,) = events_since(before, action="incident.updated")
    assert domain.data == {"fields": ["title"]}


def test_an_update_that_changes_nothing_records_nothing(incident, responder):
    before = newest_event_id()
    services.incident_update(incident=incident, actor=responder, title=incident.title)
    assert events_since(before) == []


def test_a_deleted_row_is_recorded_with_its_fields(incident, lead, responder):
    colleague = member_save(actor=None, username="cole", role=Role.RESPONDER)[0]
    member = services.crew_add(incident=incident, actor=lead, user=colleague)
    before = newest_event_id()
    services.crew_remove(member=member, actor=lead)

    (deleted,) = events_since(before, action="model.deleted")
    assert deleted.data["model"] == "incidents.crewmember"
    assert deleted.data["fields"]["user_id"] == colleague.pk
    assert not CrewMember.objects.exists()


def test_role_changes_are_recorded_as_relation_changes(make_member):
    before = newest_event_id()
    person = make_member(Role.REPORTER, username="ren")
    member_save(actor=None, username="ren", role=Role.RESPONDER)
    changes = events_since(before, action="model.relation_changed", target_id=str(person.pk))
    assert [(event.data["change"], event.data["related"]) for event in changes] == [
        ("add", "auth.group"),
        ("remove", "auth.group"),
        ("add", "auth.group"),
    ]


def test_issuing_a_token_never_logs_the_token_or_its_hash(responder):
    before = newest_event_id()
    token, raw = api_token_issue(
        actor=responder, user=responder, name="ci", scopes=["incidents:read"]
    )
    stored_hash = ApiToken.objects.get(pk=token.pk).token_hash

    events = events_since(before)
    assert {"api_token.issued", "model.created"} <= {event.action for event in events}
    for event in events:
        text = event_text(event)
        assert raw not in text
        assert raw[len(token.prefix) :] not in text
        assert stored_hash not in text
    (created,) = [e for e in events if e.action == "model.created"]
    assert created.data["fields"]["token_hash"] == "[redacted]"


def test_a_password_is_never_logged(db):
    before = newest_event_id()
    user, _ = member_save(
        actor=None, username="pat", role=Role.LEGAL, password="Sturdy-horse-battery-7"
    )
    for event in events_since(before):
        assert "Sturdy-horse-battery-7" not in event_text(event)
        assert user.password not in event_text(event)
    (created,) = events_since(before, action="model.created")
    assert created.data["fields"]["password"] == "[redacted]"


def test_the_callers_request_id_is_on_every_event_of_the_request(responder, token_client):
    client = token_client(responder, "incidents:write")
    before = newest_event_id()
    response = client.post(URL, FILING, format="json", HTTP_X_REQUEST_ID="edr-7f3a9c21")
    assert response.headers["X-Request-ID"] == "edr-7f3a9c21"
    events = events_since(before)
    assert events
    assert {event.request_id for event in events} == {"edr-7f3a9c21"}


@pytest.mark.parametrize("request_id", ["short", "has spaces in it", "x" * 65, "semi;colon-123"])
def test_an_unsafe_request_id_is_replaced(responder, token_client, request_id):
    client = token_client(responder, "incidents:write")
    before = newest_event_id()
    response = client.post(URL, FILING, format="json", HTTP_X_REQUEST_ID=request_id)
    generated = response.headers["X-Request-ID"]
    assert generated != request_id
    assert {event.request_id for event in events_since(before)} == {generated}


def test_each_request_gets_its_own_request_id(responder, token_client):
    client = token_client(responder, "incidents:write")
    before = newest_event_id()
    first = client.post(URL, FILING, format="json").headers["X-Request-ID"]
    second = client.post(URL, FILING, format="json").headers["X-Request-ID"]
    assert first != second
    assert {event.request_id for event in events_since(before)} == {first, second}


def test_the_client_address_and_user_agent_are_recorded(responder, token_client):
    client = token_client(responder, "incidents:write")
    before = newest_event_id()
    client.post(
        URL, FILING, format="json", REMOTE_ADDR="198.51.100.23", HTTP_USER_AGENT="edr-agent/4.2"
    )
    events = events_since(before)
    assert {(event.ip, event.user_agent) for event in events} == {
        ("198.51.100.23", "edr-agent/4.2")
    }


@pytest.mark.parametrize(
    ("remote_addr", "recorded"),
    [
        ("::ffff:198.51.100.23", "198.51.100.23"),
        ("2001:DB8:0:0:0:0:0:1", "2001:db8::1"),
        ("::a00:1", "::a00:1"),
        ("fe80::1%eth0", "fe80::1"),
    ],
    ids=["ipv4-mapped", "ipv6-uncompressed", "ipv4-compatible", "scoped"],
)
def test_events_from_an_ipv6_socket_keep_the_chain_verifiable(
    responder, token_client, remote_addr, recorded
):
    client = token_client(responder, "incidents:write")
    before = newest_event_id()
    response = client.post(URL, FILING, format="json", REMOTE_ADDR=remote_addr)
    assert response.status_code == 201
    addresses = {ipaddress.ip_address(event.ip) for event in events_since(before)}
    assert addresses == {ipaddress.ip_address(recorded)}
    report = verify_chain()
    assert report.ok, report


def test_a_refused_request_leaves_only_the_record_of_its_refusal(responder, token_client):
    client = token_client(responder, "incidents:write")
    before = newest_event_id()
    assert client.post(URL, {"title": "No severity"}, format="json").status_code == 400
    (refusal,) = events_since(before)
    assert (refusal.action, refusal.outcome, refusal.actor) == ("http.400", "denied", responder)
    assert not Incident.objects.exists()


def test_events_outside_a_request_have_no_actor_unless_given(incident, lead):
    import audit

    system = audit.record("test.system")
    by_lead = audit.record("test.lead", actor=lead, target=incident)
    assert (system.actor, system.actor_label, system.request_id, system.ip) == (None, "", "", None)
    assert (by_lead.actor_label, by_lead.target_id) == ("lea", str(incident.pk))


def test_the_log_line_of_a_refused_request_carries_its_request_id(responder, token_client, caplog):
    from audit.logging import JsonFormatter

    client = token_client(responder, "incidents:write")
    with caplog.at_level("WARNING", logger="django.request"):
        response = client.post(URL, {"title": "x"}, format="json", HTTP_X_REQUEST_ID="edr-12345678")
    assert response.status_code == 400
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "edr-12345678"
    assert line["level"] == "WARNING"
