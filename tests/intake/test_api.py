"""The alerts API (CONTRACT.md, "alerts"): send one or many with deduplication, the
limits, Idempotency-Key, list and read with filters, reporters' own alerts only,
escalate, merge, un-merge; scopes."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from audit.models import AuditEvent
from incidents.models import Incident, TimelineEntry
from intake.models import Alert, AlertStatus
from observables.models import Observable
from tests.factories import IncidentFactory
from tests.writes import writes_nothing

pytestmark = pytest.mark.django_db

URL = "/api/v1/alerts/"
ALERT = {
    "source": "wazuh",
    "source_ref": "1700000000.123",
    "title": "sshd: brute force",
    "severity": "high",
    "type": "authentication",
    "description": "Many failures from one address.",
    "observed_at": "2026-01-02T03:04:05Z",
    "observables": [
        {"type": "ipv4", "value": "192.0.2[.]7"},
        {"type": "hostname", "value": "vpn-1"},
    ],
}


@pytest.fixture
def sender(token_client, responder):
    """Sends and triages alerts, escalation and merging (which change incidents) too."""
    return token_client(responder, "alerts:write", "alerts:read", "incidents:write")


def test_an_alerts_only_token_cannot_escalate_or_merge(sender, token_client, responder, incident):
    alert_id = sender.post(URL, ALERT).json()["id"]
    alerts_only = token_client(responder, "alerts:write", "alerts:read")
    with writes_nothing():
        for path, body in (
            ("escalate/", {"alerts": [alert_id]}),
            (f"{alert_id}/escalate/", {}),
            (f"{alert_id}/merge/", {"incident": incident.pk}),
            (f"{alert_id}/unmerge/", {"reason": "wrong incident"}),
        ):
            answer = alerts_only.post(f"{URL}{path}", body, format="json")
            assert answer.status_code == 403, path
            assert "incidents:write" in answer.json()["detail"]
    assert alerts_only.post(f"{URL}{alert_id}/acknowledge/").status_code == 200


def test_a_new_alert_is_201_and_a_repeat_200_with_its_count(sender):
    first = sender.post(URL, ALERT)
    assert first.status_code == 201, first.content
    assert first.json() == {"id": first.json()["id"], "status": "new", "count": 1, "created": True}
    again = sender.post(
        URL, {**ALERT, "observables": [{"type": "domain", "value": "evil.example"}]}
    )
    assert again.status_code == 200, again.content
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["count"] == 2
    alert = Alert.objects.get()
    assert alert.last_seen > alert.first_seen
    assert sorted(alert.observables.values_list("normalized_value", flat=True)) == [
        "192.0.2.7",
        "evil.example",
        "vpn-1",
    ]


def test_without_a_reference_the_fingerprint_deduplicates(sender):
    body = {k: v for k, v in ALERT.items() if k != "source_ref"}
    first = sender.post(URL, body).json()
    # Same title written differently, observables in another order: the same alert.
    again = sender.post(
        URL,
        {
            **body,
            "title": "  SSHD:   Brute Force ",
            "observables": list(reversed(body["observables"])),
        },
    ).json()
    assert again["id"] == first["id"] and again["count"] == 2
    other = sender.post(URL, {**body, "observables": [{"type": "ipv4", "value": "192.0.2.8"}]})
    assert other.status_code == 201
    assert Alert.objects.count() == 2


def test_a_list_answers_each_item_in_order(sender):
    items = [
        {"source": "siem", "source_ref": f"r{n % 3}", "title": f"Alert {n % 3}"} for n in range(7)
    ]
    response = sender.post(URL, items)
    assert response.status_code == 201, response.content
    body = response.json()
    assert [item["created"] for item in body] == [True, True, True] + [False] * 4
    assert [item["count"] for item in body] == [3, 2, 2, 3, 2, 2, 3]
    assert Alert.objects.count() == 3


def test_501_items_are_400_and_nothing_is_written(sender):
    items = [{"source": "siem", "title": f"Alert {n}"} for n in range(501)]
    with writes_nothing():
        response = sender.post(URL, items)
    assert response.status_code == 400
    assert "500" in str(response.json())


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({"source": "siem"}, "title"),
        ({"title": "x"}, "source"),
        ({"source": "siem", "title": "x", "colour": "red"}, "colour"),
        ({"source": "siem", "title": "x", "severity": "extreme"}, "severity"),
        (
            {
                "source": "siem",
                "title": "x",
                "observables": [{"type": "ipv4", "value": "999.1.1.1"}],
            },
            "observables[1].value",
        ),
        (
            {"source": "siem", "title": "x", "observables": [{"type": "nope", "value": "a"}]},
            "observables",
        ),
    ],
)
def test_bad_items_are_400_naming_item_and_field_and_nothing_is_written(sender, item, field):
    good = {"source": "siem", "title": "fine"}
    with writes_nothing():
        response = sender.post(URL, [good, item])
    assert response.status_code == 400, response.content
    body = response.json()
    assert field in body, body
    assert "Item 2" in str(body[field])


def test_an_oversized_body_is_413_before_parsing(sender, settings):
    settings.INTAKE_MAX_REQUEST_BYTES = 1000
    with writes_nothing():
        response = sender.post(URL, {**ALERT, "description": "x" * 2000})
    assert response.status_code == 413


def test_the_raw_payload_is_kept_as_text_and_cut_at_the_limit(sender, settings):
    settings.INTAKE_RAW_MAX_BYTES = 100
    sender.post(URL, {**ALERT, "description": "<script>alert(1)</script>" + "x" * 500})
    alert = Alert.objects.get()
    assert alert.raw_payload.startswith("{")
    assert alert.raw_payload.endswith("[cut at the size limit]")
    assert len(alert.raw_payload.encode()) < 200


def test_an_idempotency_key_replays_the_first_answer(sender):
    first = sender.post(URL, ALERT, HTTP_IDEMPOTENCY_KEY="k-1")
    again = sender.post(URL, ALERT, HTTP_IDEMPOTENCY_KEY="k-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert Alert.objects.get().count == 1


def test_scopes_are_enforced(token_client, responder):
    reader = token_client(responder, "alerts:read")
    assert reader.post(URL, ALERT).status_code == 403
    writer = token_client(responder, "incidents:write")
    assert writer.get(URL).status_code == 403


def test_list_filters_by_status_source_and_severity(sender):
    sender.post(URL, [ALERT, {"source": "mail", "title": "Phish", "severity": "low"}])
    assert [a["source"] for a in sender.get(URL, {"source": "mail"}).json()["results"]] == ["mail"]
    assert [a["severity"] for a in sender.get(URL, {"severity": "high"}).json()["results"]] == [
        "high"
    ]
    assert len(sender.get(URL, {"status": "new"}).json()["results"]) == 2
    assert sender.get(URL, {"status": "escalated"}).json()["results"] == []
    assert sender.get(URL, {"status": "bogus"}).status_code == 400


def test_reporters_see_only_their_own_alerts(token_client, reporter, responder, make_member):
    mine = token_client(reporter, "alerts:write", "alerts:read")
    own = mine.post(URL, ALERT).json()["id"]
    theirs = (
        token_client(responder, "alerts:write", "alerts:read")
        .post(URL, {"source": "siem", "title": "other"})
        .json()["id"]
    )
    assert [a["id"] for a in mine.get(URL).json()["results"]] == [own]
    assert mine.get(f"{URL}{theirs}/").status_code == 404
    assert mine.get(f"{URL}{own}/").status_code == 200
    # Nor may a reporter triage its own alert.
    assert mine.post(f"{URL}{own}/escalate/", {}).status_code == 403


def test_escalate_files_an_incident_with_the_observables(sender, responder):
    alert_id = sender.post(URL, ALERT).json()["id"]
    response = sender.post(f"{URL}{alert_id}/escalate/", {})
    assert response.status_code == 201, response.content
    incident = Incident.objects.get(pk=response.json()["id"])
    assert response.json()["reference"] == incident.reference
    assert incident.title == ALERT["title"]
    assert incident.severity == "high"
    assert incident.reporter == responder
    assert sorted(incident.observables.values_list("normalized_value", flat=True)) == [
        "192.0.2.7",
        "vpn-1",
    ]
    assert TimelineEntry.objects.filter(incident=incident, body__contains=f"#{alert_id}").exists()
    assert AuditEvent.objects.filter(action="incident.filed").exists()
    assert AuditEvent.objects.filter(action="alerts.escalated").exists()
    detail = sender.get(f"{URL}{alert_id}/").json()
    assert detail["status"] == "escalated"
    assert detail["incident"] == {"id": incident.pk, "reference": incident.reference}
    # Twice is a conflict.
    assert sender.post(f"{URL}{alert_id}/escalate/", {}).status_code == 409


def test_merge_then_unmerge(sender, responder):
    incident = IncidentFactory(reporter=responder)
    Observable.objects.count()
    first = sender.post(URL, ALERT).json()["id"]
    second = sender.post(
        URL,
        {
            "source": "siem",
            "title": "Same host",
            "observables": [{"type": "hostname", "value": "vpn-1"}],
        },
    ).json()["id"]
    for alert_id in (first, second):
        response = sender.post(f"{URL}{alert_id}/merge/", {"incident": incident.pk})
        assert response.status_code == 200, response.content
        assert response.json()["status"] == "merged"
    values = set(incident.observables.values_list("normalized_value", flat=True))
    assert values == {"192.0.2.7", "vpn-1"}
    assert incident.timeline.filter(body__contains="merged").count() == 2
    # Out again: its own address leaves, the host name (the other alert's too) stays.
    response = sender.post(f"{URL}{first}/unmerge/", {"reason": "not related"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "acknowledged"
    assert response.json()["incident"] is None
    assert set(incident.observables.values_list("normalized_value", flat=True)) == {"vpn-1"}
    assert incident.timeline.filter(body__contains="taken out").exists()
    assert AuditEvent.objects.filter(action="alert.unmerged").exists()


def test_merge_into_an_incident_out_of_sight_is_404(sender, make_member):
    lead = make_member("lead", username="other-lead")
    hidden = IncidentFactory(reporter=lead, restricted=True)
    alert_id = sender.post(URL, ALERT).json()["id"]
    with writes_nothing():
        response = sender.post(f"{URL}{alert_id}/merge/", {"incident": hidden.pk})
    assert response.status_code == 404
    assert Alert.objects.get().status == AlertStatus.NEW


def test_the_schema_describes_the_alert_endpoints(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    for path in ("/api/v1/alerts/", "/api/v1/alerts/{id}/escalate/", "/api/v1/alerts/{id}/merge/"):
        assert path in schema


@pytest.mark.django_db(transaction=True)
def test_eight_clients_sending_the_same_alert_at_once_make_one_alert(token_client, responder):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers, so requests never overlap")
    raw = token_client(responder, "alerts:write").raw_token
    clients = 8
    barrier = threading.Barrier(clients)
    codes, errors = [], []

    def post():
        try:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
            barrier.wait(timeout=10)
            codes.append(client.post(URL, ALERT, format="json").status_code)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert sorted(codes) == [200] * (clients - 1) + [201]
    alert = Alert.objects.get()
    assert alert.count == clients
    assert alert.observables.count() == 2


def test_escalating_many_alerts_files_one_incident(sender, responder, token_client, reporter):
    ids = [
        sender.post(
            URL,
            {
                "source": "edr",
                "title": f"Beacon {n}",
                "severity": "critical" if n == 3 else "low",
                "observables": [{"type": "ipv4", "value": f"192.0.2.{n}"}],
            },
        ).json()["id"]
        for n in range(5)
    ]
    response = sender.post(f"{URL}escalate/", {"alerts": ids})
    assert response.status_code == 201, response.content
    incident = Incident.objects.get(pk=response.json()["id"])
    assert incident.severity == "critical"
    assert incident.observables.count() == 5
    assert incident.timeline.filter(body__contains="escalated").count() == 5
    assert set(Alert.objects.values_list("status", flat=True)) == {"escalated"}
    # An alert out of sight (another reporter's is not, for a responder; a missing id is).
    with writes_nothing():
        assert sender.post(f"{URL}escalate/", {"alerts": [999999]}).status_code == 404


def test_new_high_and_critical_alerts_notify_the_leads(sender, lead, responder):
    from notifications.models import Notification

    sender.post(URL, {"source": "siem", "title": "Quiet", "severity": "medium"})
    assert not Notification.objects.filter(event="alert.received").exists()
    sender.post(
        URL, {"source": "siem", "source_ref": "c1", "title": "Ransomware", "severity": "critical"}
    )
    sender.post(
        URL, {"source": "siem", "source_ref": "c1", "title": "Ransomware", "severity": "critical"}
    )
    notified = Notification.objects.filter(event="alert.received")
    assert list(notified.values_list("recipient__username", flat=True)) == [lead.username]
    assert "Ransomware" in notified.get().subject


def test_a_flood_of_critical_alerts_sends_at_most_ten_messages_per_batch(sender, lead):
    from intake.notify import MAX_MESSAGES_PER_BATCH
    from notifications.models import Notification

    items = [{"source": "siem", "title": f"Flood {n}", "severity": "critical"} for n in range(40)]
    assert sender.post(URL, items).status_code == 201
    assert Notification.objects.filter(event="alert.received").count() == MAX_MESSAGES_PER_BATCH
