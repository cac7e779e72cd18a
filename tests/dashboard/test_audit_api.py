"""The audit transparency API (CONTRACT.md): checkpoint, inclusion and consistency proofs
for auditors and leads with audit:read; the public key for anyone."""

import base64

import pytest

import audit
from audit import merkle, signing
from audit.sequencer import sequence_pending

pytestmark = pytest.mark.django_db

BASE = "/api/v1/audit"


def b64(value: str) -> bytes:
    return base64.b64decode(value)


@pytest.fixture
def log():
    events = [audit.record("test.event", data={"n": n}) for n in range(12)]
    sequence_pending()
    return events


def test_an_auditor_gets_the_checkpoint_and_proofs_that_verify_against_it(
    token_client, auditor, log
):
    client = token_client(auditor, "audit:read")
    checkpoint = client.get(f"{BASE}/checkpoint/").json()
    size, root = checkpoint["tree_size"], b64(checkpoint["root_hash"])
    assert size >= 12
    assert signing.open_note(checkpoint["note"]).split("\n")[1] == str(size)
    assert checkpoint["public_key"] == signing.log_key().verifier_key

    event = log[4]
    proof = client.get(f"{BASE}/proof/inclusion/", {"event": event.pk, "tree_size": size}).json()
    assert proof["tree_size"] == size
    leaf = b64(proof["leaf_hash"])
    path = [b64(value) for value in proof["hashes"]]
    assert merkle.root_from_inclusion(proof["leaf_index"], size, leaf, path) == root

    earlier = client.get(f"{BASE}/proof/inclusion/", {"event": log[0].pk, "tree_size": 5}).json()
    consistency = client.get(f"{BASE}/proof/consistency/", {"first": 5, "second": size}).json()
    first_root = merkle.root_from_inclusion(
        earlier["leaf_index"], 5, b64(earlier["leaf_hash"]), [b64(h) for h in earlier["hashes"]]
    )
    assert merkle.verify_consistency(
        5, size, first_root, root, [b64(value) for value in consistency["hashes"]]
    )


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("proof/inclusion/", {"tree_size": 3}, "event"),
        ("proof/inclusion/", {"event": "x", "tree_size": 3}, "event"),
        ("proof/inclusion/", {"event": 10**9, "tree_size": 3}, "event"),
        ("proof/inclusion/", {"event": 1, "tree_size": 0}, "tree_size"),
        ("proof/inclusion/", {"event": 1, "tree_size": 10**9}, "tree_size"),
        ("proof/consistency/", {"first": 0, "second": 3}, "first"),
        ("proof/consistency/", {"first": 4, "second": 3}, "second"),
        ("proof/consistency/", {"first": 4}, "second"),
    ],
)
def test_bad_parameters_are_a_400_naming_the_field(token_client, lead, log, path, params, field):
    if params.get("event") == 1:
        params = {**params, "event": log[0].pk}
    response = token_client(lead, "audit:read").get(f"{BASE}/{path}", params)
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_a_token_without_audit_read_is_refused(token_client, auditor, log):
    response = token_client(auditor, "incidents:read").get(f"{BASE}/checkpoint/")
    assert response.status_code == 403
    assert "audit:read" in str(response.json())


def test_a_responder_may_not_read_the_log_whatever_the_token(token_client, responder, log):
    response = token_client(responder, "audit:read").get(f"{BASE}/checkpoint/")
    assert response.status_code == 403


def test_no_token_is_401(api_client, log):
    assert api_client.get(f"{BASE}/checkpoint/").status_code == 401


def test_the_public_key_is_for_anyone(api_client):
    body = api_client.get(f"{BASE}/key/").json()
    key = signing.log_key()
    assert body["origin"] == key.name and body["verifier_key"] == key.verifier_key
    assert body["public_key_pem"].startswith("-----BEGIN PUBLIC KEY-----")


def test_the_endpoints_are_in_the_openapi_schema(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    for path in (
        "/api/v1/audit/checkpoint/",
        "/api/v1/audit/proof/inclusion/",
        "/api/v1/audit/proof/consistency/",
    ):
        assert path in schema
