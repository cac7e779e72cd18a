"""Importing a STIX 2.1 bundle or a MISP event into an incident
(POST /api/v1/incidents/<id>/observables/import/): observables with source `imported`
through the bulk add; anything invalid is a 400 with a clear message that writes nothing."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditEvent
from observables.models import Observable
from tests.observables.conftest import add
from tests.writes import writes_nothing

pytestmark = pytest.mark.django_db

INDICATOR = {
    "type": "indicator",
    "spec_version": "2.1",
    "id": "indicator--3c9ab8de-cd39-4c39-9c79-2e4b4a0e7d5f",
    "created": "2026-01-01T00:00:00.000Z",
    "modified": "2026-01-01T00:00:00.000Z",
    "name": "C2",
    "description": "C2 address",
    "pattern": "[ipv4-addr:value = '198.51.100.7']",
    "pattern_type": "stix",
    "valid_from": "2026-01-01T00:00:00.000Z",
    "object_marking_refs": ["marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"],
}


def bundle(*objects):
    return {
        "type": "bundle",
        "id": "bundle--1c9ab8de-cd39-4c39-9c79-2e4b4a0e7d5f",
        "objects": list(objects),
    }


def url(incident):
    return f"/api/v1/incidents/{incident.pk}/observables/import/"


def export(token_client, user, incident, fmt):
    response = token_client(user, "observables:read").get(
        f"/api/v1/incidents/{incident.pk}/observables/export/?format={fmt}"
    )
    assert response.status_code == 200
    return response.content


def _kept(incident):
    return {
        (obs.type, obs.normalized_value, obs.tlp, obs.is_ioc)
        for obs in Observable.objects.filter(incident=incident)
    }


@pytest.mark.parametrize("fmt", ["stix", "misp"])
def test_an_export_imports_into_another_incident_as_it_was(token_client, lead, make_incident, fmt):
    source = make_incident(reporter=lead)
    add(source, lead, "evil.example", tlp="green", is_ioc=True)
    add(source, lead, "d41d8cd98f00b204e9800998ecf8427e", type="md5")
    add(source, lead, "2001:DB8::1", type="ipv6", tlp="red")
    add(source, lead, "HKLM\\Software\\Run\\evil", type="registry_key", is_ioc=True)
    add(source, lead, "AS64500", type="asn")
    add(source, lead, "Mozilla/5.0 (EvilBot)", type="user_agent", is_ioc=True)
    target = make_incident(reporter=lead)
    content = export(token_client, lead, source, fmt)
    response = token_client(lead, "observables:write").post(
        url(target), json.loads(content), format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["format"] == fmt
    assert response.json()["created"] == 6
    assert _kept(target) == _kept(source)
    assert set(Observable.objects.filter(incident=target).values_list("source", flat=True)) == {
        "imported"
    }
    event = AuditEvent.objects.get(action="observables.imported")
    assert event.data == {
        "incident": target.reference,
        "format": fmt,
        "received": 6,
        "created": 6,
        "skipped": 0,
    }


def test_a_file_upload_imports_and_a_second_import_updates_instead_of_duplicating(
    token_client, lead, incident
):
    api = token_client(lead, "observables:write")
    content = json.dumps(bundle(INDICATOR)).encode()
    first = api.post(
        url(incident), {"file": SimpleUploadedFile("c2.json", content)}, format="multipart"
    )
    assert first.status_code == 201, first.content
    again = api.post(
        url(incident), {"file": SimpleUploadedFile("c2.json", content)}, format="multipart"
    )
    assert again.status_code == 200 and again.json()["created"] == 0
    (obs,) = Observable.objects.filter(incident=incident)
    assert (obs.type, obs.normalized_value, obs.tlp, obs.is_ioc) == (
        "ipv4",
        "198.51.100.7",
        "red",
        True,
    )


def test_a_misp_event_with_objects_and_skipped_types(token_client, lead, incident):
    event = {
        "Event": {
            "info": "Phishing",
            "Tag": [{"name": "tlp:amber+strict"}],
            "Attribute": [
                {"type": "url", "value": "hxxp://evil[.]example/x", "to_ids": True},
                {"type": "comment", "value": "seen by the SOC"},
            ],
            "Object": [
                {
                    "name": "file",
                    "Attribute": [
                        {
                            "type": "filename",
                            "object_relation": "filename",
                            "value": "C:\\Temp\\dropper.exe",
                        },
                        {
                            "type": "sha256",
                            "object_relation": "sha256",
                            "value": "A" * 64,
                            "Tag": [{"name": "tlp:red"}],
                        },
                    ],
                }
            ],
        }
    }
    response = token_client(lead, "observables:write").post(url(incident), event, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["skipped"] == ["attribute 2: comment"]
    assert _kept(incident) == {
        ("url", "http://evil.example/x", "amber+strict", True),
        ("filepath", "c:\\temp\\dropper.exe", "amber+strict", False),  # Windows: any case
        ("sha256", "a" * 64, "red", False),
    }


BAD = {
    "not JSON": (b"this is { not json", "not JSON"),
    "unknown STIX type": (
        json.dumps(
            bundle(
                {
                    "type": "weird-thing",
                    "spec_version": "2.1",
                    "id": "weird-thing--2c9ab8de-cd39-4c39-9c79-2e4b4a0e7d5f",
                }
            )
        ),
        "Unknown STIX object types: weird-thing",
    ),
    "broken pattern": (
        json.dumps(bundle({**INDICATOR, "pattern": "[ipv4-addr:value = '1.2.3.4'"})),
        "Pattern failed to validate",
    ),
    "not a MISP event": (json.dumps({"Event": {"name": "no info"}}), "not a MISP event"),
    "neither": (json.dumps({"hello": "world"}), "Neither a STIX 2.1 bundle nor a MISP event"),
    "unknown MISP type": (
        json.dumps({"Event": {"info": "x", "Attribute": [{"type": "bogus", "value": "1"}]}}),
        "Unknown MISP attribute types: bogus",
    ),
    "value that does not fit": (
        json.dumps({"Event": {"info": "x", "Attribute": [{"type": "md5", "value": "xyz"}]}}),
        "Item 1:",
    ),
    "a list": (json.dumps([1, 2]), "Neither a STIX 2.1 bundle nor a MISP event"),
    "STIX bundle without an id": (
        json.dumps({"type": "bundle", "objects": [INDICATOR]}),
        "Not valid STIX 2.1",
    ),
    "STIX object that is no object": (
        json.dumps(bundle(INDICATOR, 5)),
        "Every object of a STIX bundle is a JSON object",
    ),
    "custom object without a type": (
        json.dumps(
            bundle(
                {
                    "type": "x-cordon-observable",
                    "spec_version": "2.1",
                    "id": "x-cordon-observable--2c9ab8de-cd39-4c39-9c79-2e4b4a0e7d5f",
                    "value": "x",
                }
            )
        ),
        "names no observable type Cordon knows",
    ),
    "MISP tags not a list": (json.dumps({"Event": {"info": "x", "Tag": 5}}), "Tag must be a list"),
    "MISP attributes not a list": (
        json.dumps({"Event": {"info": "x", "Attribute": 5}}),
        "Attribute must be a list",
    ),
    "MISP type not a string": (
        json.dumps({"Event": {"info": "x", "Attribute": [{"type": ["md5"], "value": "1"}]}}),
        "Unknown MISP attribute types",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_invalid_content_is_a_400_with_a_clear_message_that_writes_nothing(
    token_client, lead, incident, case
):
    content, message = BAD[case]
    if isinstance(content, str):
        content = content.encode()
    api = token_client(lead, "observables:write")
    with writes_nothing():
        response = api.post(
            url(incident), {"file": SimpleUploadedFile("in.json", content)}, format="multipart"
        )
    assert response.status_code == 400, response.content
    body = response.json()
    text = json.dumps(body)
    assert message in text, body
    assert "file" in body or "value" in body


def test_a_file_over_the_limit_is_refused_unread(token_client, lead, incident, settings):
    big = b'{"type": "bundle", "objects": [], "pad": "' + b"x" * (5 * 1024**2) + b'"}'
    api = token_client(lead, "observables:write")
    with writes_nothing():
        response = api.post(
            url(incident), {"file": SimpleUploadedFile("big.json", big)}, format="multipart"
        )
    assert response.status_code == 400
    assert "larger than 5 MB" in response.json()["file"][0]


def test_more_than_1000_observables_in_one_file_is_refused(token_client, lead, incident):
    attributes = [{"type": "ip-dst", "value": f"10.0.{n // 250}.{n % 250}"} for n in range(1001)]
    api = token_client(lead, "observables:write")
    with writes_nothing():
        response = api.post(
            url(incident), {"Event": {"info": "many", "Attribute": attributes}}, format="json"
        )
    assert response.status_code == 400
    assert "At most 1000" in response.json()["non_field_errors"][0]


def test_import_needs_the_write_scope(token_client, lead, incident):
    response = token_client(lead, "observables:read").post(
        url(incident), bundle(INDICATOR), format="json"
    )
    assert response.status_code == 403


@pytest.mark.parametrize("role", ["responder", "manager", "reporter"])
def test_a_restricted_incident_is_404_to_import_for_those_outside_it(
    request, token_client, make_incident, lead, role
):
    restricted = make_incident(reporter=lead, restricted=True)
    api = token_client(request.getfixturevalue(role), "observables:write")
    with writes_nothing():
        response = api.post(url(restricted), bundle(INDICATOR), format="json")
    assert response.status_code == 404


def test_a_ten_megabyte_body_is_413_and_nothing_is_written(token_client, lead, incident):
    api = token_client(lead, "observables:write")
    body = b'{"type": "bundle", "objects": [], "pad": "' + b"x" * (10 * 1024**2) + b'"}'
    with writes_nothing():
        response = api.generic("POST", url(incident), body, content_type="application/json")
    assert response.status_code == 413
