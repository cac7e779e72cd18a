"""The incident REST API from the outside (CONTRACT.md, REST API): validation, filing,
listing, the lifecycle through PATCH, idempotent retries and rate limits."""

import re
import threading
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import IdempotencyRecord
from accounts.roles import Role
from audit.models import AuditEvent
from incidents import services
from incidents.lifecycle import ORDER, Status
from incidents.models import EntryKind, Incident, TimelineEntry
from tests.incidents.review_helpers import complete_review

pytestmark = pytest.mark.django_db

URL = "/api/v1/incidents/"
VALID = {"title": "Web shell on www1", "severity": "high"}
REFERENCE = re.compile(r"^INC-\d{4}-\d{4,}$")
CONTRACT_FIELDS = {
    "id",
    "reference",
    "status",
    "title",
    "severity",
    "description",
    "discovered_at",
    "aware_at",
    "discovery_method",
    "restricted",
    "data_categories",
}


def detail_url(incident_id) -> str:
    return f"{URL}{incident_id}/"


def _row_counts() -> dict:
    return {
        "incidents": Incident.objects.count(),
        "timeline": TimelineEntry.objects.count(),
        # The refusal itself is audited (http.<status>); nothing else may be written.
        "audit": AuditEvent.objects.exclude(action__startswith="http.").count(),
        "idempotency": IdempotencyRecord.objects.count(),
    }


@contextmanager
def writes_nothing():
    """Asserts that what runs inside leaves every table this API writes to as it was."""
    before = _row_counts()
    yield
    assert _row_counts() == before


@pytest.fixture
def writer(responder, token_client):
    return token_client(responder, "incidents:read", "incidents:write")


def _at_status(incident, status, actor):
    """Walk an incident forward through the lifecycle to `status`."""
    for step in ORDER[1 : ORDER.index(status) + 1]:
        if step == Status.CLOSED:  # a high incident closes with a completed review
            complete_review(incident, actor)
        incident = services.incident_change_status(incident=incident, actor=actor, status=step)
    return incident


# --- Validation: 400 naming the field, nothing written -----------------------

IN_A_DAY = (timezone.now() + timedelta(days=1)).isoformat()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**VALID, "severity": "urgent"}, "severity"),
        ({**VALID, "data_categories": ["pii", "gossip"]}, "data_categories"),
        ({**VALID, "data_categories": "pii"}, "data_categories"),
        ({**VALID, "title": "x" * 201}, "title"),
        ({**VALID, "title": ""}, "title"),
        ({**VALID, "title": "  \t  "}, "title"),
        ({"severity": "high"}, "title"),
        ({"title": "No severity given"}, "severity"),
        ({**VALID, "colour": "red"}, "colour"),
        ({**VALID, "status": "closed"}, "status"),
        ({**VALID, "reference": "INC-1999-0001"}, "reference"),
        ({**VALID, "aware_at": IN_A_DAY}, "aware_at"),
        ({**VALID, "aware_at": "yesterday"}, "aware_at"),
        (
            {
                **VALID,
                "occurred_at": "2024-03-02T10:00:00Z",
                "discovered_at": "2024-03-01T10:00:00Z",
            },
            "discovered_at",
        ),
        ({**VALID, "estimated_affected_people": -1}, "estimated_affected_people"),
    ],
    ids=[
        "bad-severity",
        "bad-data-category",
        "data-categories-not-a-list",
        "title-201-chars",
        "empty-title",
        "whitespace-title",
        "missing-title",
        "missing-severity",
        "unknown-field",
        "read-only-status",
        "read-only-reference",
        "future-aware-at",
        "unparseable-aware-at",
        "discovered-before-occurred",
        "negative-affected-people",
    ],
)
def test_invalid_filing_is_400_naming_the_field_and_writes_nothing(writer, body, field):
    with writes_nothing():
        response = writer.post(URL, body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_malformed_json_is_400_and_writes_nothing(writer):
    with writes_nothing():
        response = writer.generic("POST", URL, '{"title": "half', content_type="application/json")
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


def test_a_json_array_body_is_400_and_writes_nothing(writer):
    with writes_nothing():
        response = writer.post(URL, [VALID], format="json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("title=Web+shell&severity=high", "application/x-www-form-urlencoded"),
        ("title: Web shell\nseverity: high", "text/plain"),
    ],
    ids=["form-encoded", "text-plain"],
)
def test_a_body_that_is_not_json_is_415_and_writes_nothing(writer, body, content_type):
    with writes_nothing():
        response = writer.generic("POST", URL, body, content_type=content_type)
    assert response.status_code == 415


@pytest.mark.parametrize("method", ["put", "delete"])
def test_put_and_delete_are_405_and_change_nothing(writer, incident, method):
    with writes_nothing():
        response = getattr(writer, method)(
            detail_url(incident.pk), {**VALID, "title": "Replaced"}, format="json"
        )
    assert response.status_code == 405
    incident.refresh_from_db()
    assert incident.title != "Replaced"


# --- Filing and reading -------------------------------------------------------


def test_filing_returns_201_with_reference_status_and_every_contract_field(writer, responder):
    body = {
        "title": "Ransomware on the file server",
        "severity": "critical",
        "description": "Files renamed to *.locked on fs01.",
        "discovered_at": "2024-05-01T08:30:00Z",
        "aware_at": "2024-05-01T09:00:00Z",
        "discovery_method": "EDR alert",
        "restricted": True,
        "data_categories": ["pii", "financial"],
    }
    response = writer.post(URL, body, format="json")

    assert response.status_code == 201, response.content
    answer = response.json()
    assert set(answer) >= CONTRACT_FIELDS
    assert isinstance(answer["id"], int)
    assert REFERENCE.match(answer["reference"])
    assert answer["status"] == "new"
    for name in ("title", "severity", "description", "discovery_method", "restricted"):
        assert answer[name] == body[name]
    assert answer["data_categories"] == ["pii", "financial"]
    assert parse_datetime(answer["aware_at"]) == parse_datetime(body["aware_at"])
    assert parse_datetime(answer["discovered_at"]) == parse_datetime(body["discovered_at"])
    incident = Incident.objects.get(pk=answer["id"])
    assert incident.reference == answer["reference"]
    assert incident.reporter == responder


def test_a_title_of_exactly_200_characters_is_accepted(writer):
    response = writer.post(URL, {**VALID, "title": "x" * 200}, format="json")
    assert response.status_code == 201, response.content


def test_aware_at_defaults_to_now(writer):
    before = timezone.now()
    response = writer.post(URL, VALID, format="json")
    after = timezone.now()
    assert response.status_code == 201
    assert before <= parse_datetime(response.json()["aware_at"]) <= after


def test_filing_twice_gives_two_references_in_sequence(writer):
    first = writer.post(URL, VALID, format="json").json()["reference"]
    second = writer.post(URL, VALID, format="json").json()["reference"]
    assert first != second
    assert int(second.rsplit("-", 1)[1]) == int(first.rsplit("-", 1)[1]) + 1


def test_detail_returns_the_incident(writer, incident):
    response = writer.get(detail_url(incident.pk))
    assert response.status_code == 200
    assert response.json()["reference"] == incident.reference
    assert response.json()["title"] == incident.title


def test_a_missing_incident_is_404(writer):
    assert writer.get(detail_url(987654)).status_code == 404


# --- Listing: pagination and filters ----------------------------------------


def test_list_is_paginated_with_next_previous_and_results(writer, make_incident, responder):
    make_incident(reporter=responder)
    response = writer.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"next", "previous", "results"}
    assert len(body["results"]) == 1


def test_list_filters_by_status(writer, make_incident, responder):
    moved = _at_status(make_incident(reporter=responder), Status.TRIAGE, responder)
    make_incident(reporter=responder)
    response = writer.get(URL, {"status": "triage"})
    assert [item["id"] for item in response.json()["results"]] == [moved.pk]


def test_list_filters_by_severity(writer, make_incident, responder):
    low = make_incident(reporter=responder, severity="low")
    make_incident(reporter=responder, severity="critical")
    response = writer.get(URL, {"severity": "low"})
    assert [item["id"] for item in response.json()["results"]] == [low.pk]


def test_list_text_search_matches_title_and_description(writer, make_incident, responder):
    by_title = make_incident(reporter=responder, title="Phishing wave against finance")
    by_description = make_incident(
        reporter=responder, title="Odd mails", description="A PHISHING kit on a lookalike domain"
    )
    make_incident(reporter=responder, title="Disk full on db02")
    response = writer.get(URL, {"q": "phishing"})
    found = {item["id"] for item in response.json()["results"]}
    assert found == {by_title.pk, by_description.pk}


@pytest.mark.parametrize("query", [{"status": "burning"}, {"severity": "apocalyptic"}])
def test_an_unknown_filter_value_is_400(writer, query):
    response = writer.get(URL, query)
    assert response.status_code == 400
    assert set(query) <= set(response.json())


def _bulk_incidents(reporter, count):
    """Rows straight into the table: these tests are about paging, not filing."""
    year = timezone.now().year
    Incident.objects.bulk_create(
        Incident(
            reference=f"INC-{year}-{9000 + n}", title=f"Bulk {n}", severity="low", reporter=reporter
        )
        for n in range(count)
    )


def test_page_size_is_respected(writer, responder):
    _bulk_incidents(responder, 5)
    body = writer.get(URL, {"page_size": 2}).json()
    assert len(body["results"]) == 2
    assert body["next"]


def test_page_size_is_capped_at_200(writer, responder):
    _bulk_incidents(responder, 201)
    body = writer.get(URL, {"page_size": 1000}).json()
    assert len(body["results"]) == 200
    assert body["next"]


def test_following_next_walks_every_incident_once_newest_first(writer, responder):
    _bulk_incidents(responder, 7)
    expected = list(Incident.objects.order_by("-id").values_list("id", flat=True))
    seen, url, pages = [], f"{URL}?page_size=3", 0
    while url:
        body = writer.get(url).json()
        seen += [item["id"] for item in body["results"]]
        url, pages = body["next"], pages + 1
        assert pages <= 3
    assert seen == expected
    assert len(set(seen)) == len(seen) == 7


# --- Lifecycle through PATCH --------------------------------------------------


def test_every_forward_step_is_allowed(writer, incident, responder):
    for status in ORDER[1:]:
        if status == Status.CLOSED:  # a high incident closes with a completed review
            complete_review(incident, responder)
        response = writer.patch(detail_url(incident.pk), {"status": status}, format="json")
        assert response.status_code == 200, (status, response.content)
        assert response.json()["status"] == status
    incident.refresh_from_db()
    assert incident.status == Status.CLOSED


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (Status.NEW, Status.CLOSED),
        (Status.NEW, Status.CONTAINMENT),
        (Status.TRIAGE, Status.ERADICATION),
        (Status.CONTAINMENT, Status.REVIEW),
        (Status.RECOVERY, Status.TRIAGE),
        (Status.CLOSED, Status.NEW),
    ],
)
def test_skipping_a_step_is_409_and_changes_nothing(writer, incident, responder, current, target):
    incident = _at_status(incident, current, responder)
    with writes_nothing():
        response = writer.patch(
            detail_url(incident.pk), {"status": target, "reason": "because"}, format="json"
        )
    assert response.status_code == 409, response.content
    incident.refresh_from_db()
    assert incident.status == current


def test_a_refused_status_change_also_undoes_the_facts_sent_with_it(writer, incident):
    with writes_nothing():
        response = writer.patch(
            detail_url(incident.pk), {"title": "Renamed", "status": "closed"}, format="json"
        )
    assert response.status_code == 409
    incident.refresh_from_db()
    assert incident.title != "Renamed"


def test_moving_back_without_a_reason_is_400_naming_reason(writer, incident, responder):
    incident = _at_status(incident, Status.CONTAINMENT, responder)
    with writes_nothing():
        response = writer.patch(detail_url(incident.pk), {"status": "triage"}, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()
    incident.refresh_from_db()
    assert incident.status == Status.CONTAINMENT


def test_moving_back_with_a_reason_is_allowed_and_the_reason_is_kept(writer, incident, responder):
    incident = _at_status(incident, Status.CONTAINMENT, responder)
    response = writer.patch(
        detail_url(incident.pk),
        {"status": "triage", "reason": "Second host found"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["status"] == "triage"
    entry = incident.timeline.filter(kind=EntryKind.STATUS_CHANGE).last()
    assert "Second host found" in entry.body


def test_containment_to_eradication_sets_contained_at(writer, incident, responder):
    incident = _at_status(incident, Status.CONTAINMENT, responder)
    assert writer.get(detail_url(incident.pk)).json()["contained_at"] is None
    before = timezone.now()
    response = writer.patch(detail_url(incident.pk), {"status": "eradication"}, format="json")
    assert before <= parse_datetime(response.json()["contained_at"]) <= timezone.now()


def test_closing_sets_resolved_at(writer, incident, responder):
    incident = _at_status(incident, Status.REVIEW, responder)
    complete_review(incident, responder)
    assert writer.get(detail_url(incident.pk)).json()["resolved_at"] is None
    before = timezone.now()
    response = writer.patch(detail_url(incident.pk), {"status": "closed"}, format="json")
    assert response.status_code == 200
    assert before <= parse_datetime(response.json()["resolved_at"]) <= timezone.now()


def test_a_status_change_writes_a_timeline_entry(writer, incident, responder):
    writer.patch(detail_url(incident.pk), {"status": "triage"}, format="json")
    entry = incident.timeline.order_by("id").last()
    assert entry.kind == EntryKind.STATUS_CHANGE
    assert entry.body.startswith("Status changed from New to Triage")
    assert entry.author == responder


def test_patch_changes_the_facts(writer, incident):
    response = writer.patch(
        detail_url(incident.pk), {"title": "Web shell, confirmed", "severity": "critical"}
    )
    assert response.status_code == 200
    incident.refresh_from_db()
    assert (incident.title, incident.severity) == ("Web shell, confirmed", "critical")
    assert response.json()["title"] == "Web shell, confirmed"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"colour": "red"}, "colour"),
        ({"reference": "INC-1999-0001"}, "reference"),
        ({"title": ""}, "title"),
        ({"status": "burning"}, "status"),
    ],
    ids=["unknown-field", "read-only-reference", "empty-title", "unknown-status"],
)
def test_an_invalid_patch_is_400_and_changes_nothing(writer, incident, body, field):
    with writes_nothing():
        response = writer.patch(detail_url(incident.pk), body, format="json")
    assert response.status_code == 400
    assert field in response.json()


# --- Who may write --------------------------------------------------------------


def test_a_reporter_token_cannot_change_even_its_own_incident(reporter, token_client):
    own = services.incident_file(reporter=reporter, title="My laptop is slow", severity="low")
    client = token_client(reporter, "incidents:read", "incidents:write")
    with writes_nothing():
        response = client.patch(detail_url(own.pk), {"title": "Changed"}, format="json")
    assert response.status_code == 403
    own.refresh_from_db()
    assert own.title == "My laptop is slow"


def test_a_reporter_token_can_file(reporter, token_client):
    client = token_client(reporter, "incidents:write")
    response = client.post(URL, VALID, format="json")
    assert response.status_code == 201
    assert Incident.objects.get().reporter == reporter


def test_an_auditor_token_cannot_file(auditor, token_client):
    client = token_client(auditor, "incidents:read", "incidents:write")
    with writes_nothing():
        response = client.post(URL, VALID, format="json")
    assert response.status_code == 403


def test_an_auditor_token_cannot_change_an_incident(auditor, token_client, incident):
    client = token_client(auditor, "incidents:read", "incidents:write")
    with writes_nothing():
        response = client.patch(detail_url(incident.pk), {"status": "triage"}, format="json")
    assert response.status_code == 403


# --- Idempotency-Key ----------------------------------------------------------


def test_a_retry_with_the_same_key_replays_the_first_answer(writer):
    first = writer.post(URL, VALID, format="json", HTTP_IDEMPOTENCY_KEY="retry-1")
    with writes_nothing():
        again = writer.post(URL, VALID, format="json", HTTP_IDEMPOTENCY_KEY="retry-1")

    assert first.status_code == again.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Incident.objects.count() == 1


def test_the_same_key_with_another_body_is_422_and_writes_nothing(writer):
    writer.post(URL, VALID, format="json", HTTP_IDEMPOTENCY_KEY="retry-2")
    with writes_nothing():
        response = writer.post(
            URL, {**VALID, "title": "Something else"}, format="json", HTTP_IDEMPOTENCY_KEY="retry-2"
        )
    assert response.status_code == 422


def test_people_use_the_same_key_independently(writer, token_client, make_member):
    other = token_client(make_member(Role.RESPONDER), "incidents:write")
    first = writer.post(URL, VALID, format="json", HTTP_IDEMPOTENCY_KEY="shared-key")
    second = other.post(URL, VALID, format="json", HTTP_IDEMPOTENCY_KEY="shared-key")
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"]
    assert "Idempotent-Replayed" not in second.headers
    assert Incident.objects.count() == 2


def test_a_refused_request_does_not_use_up_its_key(writer):
    refused = writer.post(URL, {"title": "x"}, format="json", HTTP_IDEMPOTENCY_KEY="retry-3")
    fixed = writer.post(URL, VALID, format="json", HTTP_IDEMPOTENCY_KEY="retry-3")
    assert (refused.status_code, fixed.status_code) == (400, 201)


@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "tab\there"])
def test_a_malformed_key_is_400_and_writes_nothing(writer, key):
    with writes_nothing():
        response = writer.post(URL, VALID, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()


def _post_at_once(raw_tokens, key, bodies):
    """POST from one thread per body, released together; each thread has its own connection."""
    from rest_framework.test import APIClient

    barrier = threading.Barrier(len(bodies))
    responses, errors = [None] * len(bodies), []

    def post(index):
        try:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_tokens[index]}")
            barrier.wait(timeout=10)
            responses[index] = client.post(
                URL, bodies[index], format="json", HTTP_IDEMPOTENCY_KEY=key
            )
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return responses


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_with_one_key_file_one_incident(make_member, token_client):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers, so requests never overlap")
    person = make_member(Role.RESPONDER, username="racer")
    raw = token_client(person, "incidents:write").raw_token

    responses = _post_at_once([raw, raw], "race-key", [VALID, VALID])

    assert [response.status_code for response in responses] == [201, 201]
    assert responses[0].json()["id"] == responses[1].json()["id"]
    assert Incident.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1


# --- Rate limits --------------------------------------------------------------


def test_the_fourth_request_in_a_minute_is_429(writer, settings, token_client, make_member):
    settings.API_THROTTLE_USER_RATE = "3/min"
    statuses = [writer.get(URL).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    with writes_nothing():
        refused = writer.post(URL, VALID, format="json")
    assert refused.status_code == 429
    assert "Retry-After" in refused.headers
    other = token_client(make_member(Role.RESPONDER), "incidents:read")
    assert other.get(URL).status_code == 200
