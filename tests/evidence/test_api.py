"""The evidence API (CONTRACT.md): push, list, read, custody, download; need-to-know and
scopes; hostile names; the size limit; integrity checks."""

import hashlib
import io
import os

import pytest

from audit.models import AuditEvent
from evidence import services
from evidence.models import Action, EvidenceItem, Status
from evidence.storage import evidence_store
from notifications.models import Notification
from tests.conftest import wait_for
from tests.evidence.conftest import stored_files

pytestmark = pytest.mark.django_db

DATA = b"MZ\x90\x00 not really a PE file " * 1000
DATA_SHA256 = hashlib.sha256(DATA).hexdigest()


def evidence_url(item_id, tail=""):
    return f"/api/v1/evidence/{item_id}/{tail}"


def test_push_answers_201_with_the_receipt(token_client, responder, incident, push, vault):
    client = token_client(responder, "evidence:write")

    response = push(
        client,
        incident,
        DATA,
        name="dropper.exe",
        kind="file",
        description="Found in the startup folder",
        source_host="ws-042",
        source_path="C:\\Users\\Public\\dropper.exe",
        collected_at="2026-01-02T03:04:05Z",
        sha256=DATA_SHA256.upper(),
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "pending"
    assert body["receipt_sha256"] == DATA_SHA256
    assert body["size"] == len(DATA)
    item = EvidenceItem.objects.get(pk=body["id"])
    assert item.original_name == "dropper.exe"
    assert item.sender_sha256 == DATA_SHA256
    assert item.collected_by == responder
    assert item.source_path == "C:\\Users\\Public\\dropper.exe"
    (stored,) = stored_files(vault)
    assert stored.name == item.storage_key
    assert stored.read_bytes() == DATA
    assert "dropper" not in str(stored)
    assert AuditEvent.objects.filter(action="evidence.received", target_id=str(item.pk)).exists()


def test_push_writes_custody_collected_then_received(token_client, responder, incident, push):
    client = token_client(responder)
    item_id = push(client, incident, DATA).json()["id"]

    response = client.get(evidence_url(item_id, "custody/"))

    assert response.status_code == 200
    events = response.json()["results"]
    assert [event["action"] for event in events] == ["collected", "received"]
    assert events[1]["sha256"] == DATA_SHA256
    assert events[1]["actor"] == responder.username
    assert events[1]["ip"] == "127.0.0.1"


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("../../x", "x"),
        ("..\\..\\boot.ini", "boot.ini"),
        ("evil\x00.txt", "evil.txt"),
        ("report\u202efdp.exe", "reportfdp.exe"),
        ("n" * 300, "n" * 255),
    ],
)
def test_hostile_names_are_stored_safely_and_never_used_as_a_path(
    token_client, responder, incident, push, vault, tmp_path, sent, kept
):
    response = push(token_client(responder), incident, b"payload", name=sent)

    assert response.status_code == 201, response.content
    item = EvidenceItem.objects.get(pk=response.json()["id"])
    assert item.original_name == kept
    (stored,) = stored_files(vault)
    assert stored.name == item.storage_key
    assert stored.is_relative_to(vault / "objects")
    assert not (tmp_path / "x").exists()


def test_a_hostile_source_path_is_kept_like_a_file_name_not_refused(
    token_client, responder, incident, push
):
    """A host's path is what its file system holds, like the file name: a sample hidden
    behind a bidirectional override must still be collected, with the override gone."""
    sent = "C:\\Users\\x\\invoice\u202efdp.exe\x1b"
    response = push(token_client(responder), incident, b"payload", source_path=sent)

    assert response.status_code == 201, response.content
    item = EvidenceItem.objects.get(pk=response.json()["id"])
    assert item.source_path == "C:\\Users\\x\\invoicefdp.exe"
    collected = item.custody.get(action="collected")
    assert collected.data["source_path"] == item.source_path


def test_oversize_is_413_with_nothing_left(
    token_client, responder, incident, push, vault, settings
):
    settings.EVIDENCE_MAX_BYTES = 64 * 1024
    response = push(token_client(responder), incident, os.urandom(200 * 1024))

    assert response.status_code == 413
    assert not EvidenceItem.objects.exists()
    assert stored_files(vault) == []


def test_exactly_the_limit_is_accepted(token_client, responder, incident, push, settings):
    settings.EVIDENCE_MAX_BYTES = 64 * 1024
    response = push(token_client(responder), incident, os.urandom(64 * 1024))
    assert response.status_code == 201


def test_a_bad_sender_hash_is_400_with_nothing_left(token_client, responder, incident, push, vault):
    response = push(token_client(responder), incident, DATA, sha256="not-a-hash")

    assert response.status_code == 400
    assert "sha256" in response.json()
    assert not EvidenceItem.objects.exists()
    assert stored_files(vault) == []


def test_a_push_without_a_file_is_400(token_client, responder, incident, vault):
    client = token_client(responder)
    response = client.post(
        f"/api/v1/incidents/{incident.pk}/evidence/", {"kind": "log"}, format="multipart"
    )
    assert response.status_code == 400
    assert "file" in response.json()


def test_a_sender_hash_that_differs_is_an_integrity_failure_at_once(
    token_client, responder, lead, incident, push
):
    response = push(token_client(responder), incident, DATA, sha256="ab" * 32)

    assert response.status_code == 201
    assert response.json()["status"] == "integrity_failure"
    item = EvidenceItem.objects.get(pk=response.json()["id"])
    actions = list(item.custody.values_list("action", flat=True))
    assert actions == ["collected", "received", "integrity_failure"]
    assert Notification.objects.filter(recipient=lead, subject__contains="INTEGRITY").exists()


def test_list_and_read_show_the_contract_fields(token_client, responder, incident, push):
    client = token_client(responder)
    item_id = push(client, incident, DATA, kind="log", source_host="db-1").json()["id"]

    listed = client.get(f"/api/v1/incidents/{incident.pk}/evidence/")
    read = client.get(evidence_url(item_id))

    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()["results"]] == [item_id]
    body = read.json()
    for field in ("status", "sha256", "sha1", "md5", "size", "original_name", "kind"):
        assert field in body
    assert body["source_host"] == "db-1"
    assert body["kind"] == "log"


def test_download_streams_the_bytes_as_a_safe_attachment(token_client, responder, incident, push):
    client = token_client(responder)
    item_id = push(client, incident, DATA, name='résumé "final".pdf').json()["id"]

    response = client.get(evidence_url(item_id, "download/"))

    assert response.status_code == 200
    assert response.streaming
    assert b"".join(response.streaming_content) == DATA
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; ")
    assert "filename*=UTF-8''r%C3%A9sum%C3%A9%20%22final%22.pdf" in disposition
    assert 'filename="r_sum_ _final_.pdf"' in disposition
    actions = list(EvidenceItem.objects.get(pk=item_id).custody.values_list("action", flat=True))
    assert actions[-1] == Action.DOWNLOADED


# --- Need-to-know and scopes ---------------------------------------------------


@pytest.fixture
def secret_incident(make_incident, lead):
    return make_incident(reporter=lead, restricted=True)


@pytest.fixture
def secret_item(secret_incident, lead, token_client, push):
    response = push(token_client(lead), secret_incident, DATA)
    assert response.status_code == 201
    return EvidenceItem.objects.get(pk=response.json()["id"])


@pytest.mark.parametrize("tail", ["", "custody/", "download/"])
def test_evidence_of_a_restricted_incident_is_404_for_non_crew(
    token_client, responder, secret_item, tail
):
    response = token_client(responder).get(evidence_url(secret_item.pk, tail))
    assert response.status_code == 404


def test_pushing_into_or_listing_an_invisible_incident_is_404(
    token_client, responder, secret_incident, push, vault
):
    client = token_client(responder)
    assert push(client, secret_incident, DATA).status_code == 404
    assert client.get(f"/api/v1/incidents/{secret_incident.pk}/evidence/").status_code == 404
    assert stored_files(vault) == []


def test_reporters_push_into_what_they_filed_and_nothing_else(
    token_client, reporter, make_incident, incident, push
):
    own = make_incident(reporter=reporter)
    client = token_client(reporter)

    assert push(client, own, DATA).status_code == 201
    assert push(client, incident, DATA).status_code == 404


def test_people_without_the_add_permission_get_403(token_client, manager, incident, push, vault):
    assert push(token_client(manager), incident, DATA).status_code == 403
    assert stored_files(vault) == []


def test_scopes_are_enforced(token_client, responder, incident, push, vault):
    reader = token_client(responder, "evidence:read")
    incidents_only = token_client(responder, "incidents:read", "incidents:write")

    refused = push(reader, incident, DATA)
    assert refused.status_code == 403
    assert "evidence:write" in refused.json()["detail"]
    assert incidents_only.get(f"/api/v1/incidents/{incident.pk}/evidence/").status_code == 403
    assert stored_files(vault) == []


def test_no_token_is_401(api_client, incident, push):
    assert push(api_client, incident, DATA).status_code == 401


# --- Hashing and verification (the service the task calls) ----------------------


def test_hashing_verifies_with_the_three_hashes(token_client, responder, incident, push):
    client = token_client(responder)
    item_id = push(client, incident, DATA, sha256=DATA_SHA256).json()["id"]

    services.evidence_hash_stored(evidence_id=item_id)

    body = client.get(evidence_url(item_id)).json()
    assert body["status"] == "verified"
    assert body["sha256"] == DATA_SHA256
    assert body["sha1"] == hashlib.sha1(DATA).hexdigest()  # noqa: S324
    assert body["md5"] == hashlib.md5(DATA).hexdigest()  # noqa: S324
    custody = client.get(evidence_url(item_id, "custody/")).json()["results"]
    assert [event["action"] for event in custody] == ["collected", "received", "hashed", "verified"]


def test_hashing_twice_changes_nothing(token_client, responder, incident, push):
    item_id = push(token_client(responder), incident, DATA).json()["id"]

    services.evidence_hash_stored(evidence_id=item_id)
    services.evidence_hash_stored(evidence_id=item_id)

    assert EvidenceItem.objects.get(pk=item_id).custody.count() == 4


def test_bytes_changed_before_hashing_are_an_integrity_failure_for_crew_and_leads(
    token_client, responder, lead, incident, push
):
    item_id = push(token_client(responder), incident, DATA).json()["id"]
    item = EvidenceItem.objects.get(pk=item_id)
    path = evidence_store().path(item.storage_key)
    path.chmod(0o600)
    path.write_bytes(b"X" + DATA[1:])

    services.evidence_hash_stored(evidence_id=item_id)

    item.refresh_from_db()
    assert item.status == Status.INTEGRITY_FAILURE
    assert item.custody.last().action == Action.INTEGRITY_FAILURE
    subjects = Notification.objects.filter(subject__contains="INTEGRITY FAILURE")
    assert {n.recipient for n in subjects} >= {lead}
    assert AuditEvent.objects.filter(action="evidence.integrity_failure").exists()


def test_the_same_content_twice_in_an_incident_is_a_duplicate_of_the_first(
    token_client, responder, incident, make_incident, push
):
    client = token_client(responder)
    first = push(client, incident, DATA).json()["id"]
    second = push(client, incident, DATA, name="copy.bin").json()["id"]
    elsewhere = push(client, make_incident(reporter=responder), DATA).json()["id"]
    for item_id in (first, second, elsewhere):
        services.evidence_hash_stored(evidence_id=item_id)

    assert EvidenceItem.objects.get(pk=first).duplicate_of is None
    assert EvidenceItem.objects.get(pk=second).duplicate_of_id == first
    assert EvidenceItem.objects.get(pk=elsewhere).duplicate_of is None


# --- The background path with a real worker ---------------------------------------


@pytest.mark.worker
def test_a_real_worker_hashes_and_verifies_a_pushed_file(
    celery_worker, token_client, responder, push, make_incident
):
    incident = make_incident(reporter=responder)
    data = os.urandom(3 * 1024 * 1024 + 17)
    client = token_client(responder)

    response = push(client, incident, data, sha256=hashlib.sha256(data).hexdigest())
    assert response.status_code == 201, response.content
    item_id = response.json()["id"]

    body = wait_for(
        lambda: (
            (answer := client.get(evidence_url(item_id)).json())["status"] != "pending" and answer
        )
    )
    assert body["status"] == "verified"
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    assert body["sha1"] == hashlib.sha1(data).hexdigest()  # noqa: S324
    assert body["md5"] == hashlib.md5(data).hexdigest()  # noqa: S324
    custody = client.get(evidence_url(item_id, "custody/")).json()["results"]
    assert [event["action"] for event in custody] == ["collected", "received", "hashed", "verified"]
    assert custody[2]["actor"] is None


def test_uploads_have_their_own_rate_limit(monkeypatch, responder, token_client, incident):
    from rest_framework.throttling import ScopedRateThrottle

    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"uploads": "2/hour"})
    client = token_client(responder, "evidence:write", "evidence:read")
    url = f"/api/v1/incidents/{incident.pk}/evidence/"
    statuses = [
        client.post(url, {"file": io.BytesIO(b"log line %d" % n)}, format="multipart").status_code
        for n in range(3)
    ]
    assert statuses == [201, 201, 429]
    assert client.get(url).status_code == 200  # reading the list is not an upload
