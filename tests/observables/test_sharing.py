"""Sharing an incident's observables (CONTRACT.md: GET /incidents/<id>/observables/export/
?format=stix|misp|csv): a STIX 2.1 bundle valid under stix2-validator with TLP 2.0
markings, a MISP event with TLP tags and to_ids, CSV; the highest TLP stated, TLP:RED
withheld from anyone outside the crew and leads, every export audited with its hash."""

import csv
import hashlib
import io
import json

import pytest
from stix2validator import ValidationOptions, validate_string

from audit.models import AuditEvent
from incidents.services import crew_add
from observables.sharing.stix import TLP2_IDS
from tests.observables.conftest import add

pytestmark = pytest.mark.django_db


def url(incident, fmt):
    return f"/api/v1/incidents/{incident.pk}/observables/export/?format={fmt}"


@pytest.fixture
def marked(incident, lead):
    """An amber incident holding an IOC (green), a plain amber hash, a red address and a
    user agent (a type STIX has no cyber observable for)."""
    add(incident, lead, "evil.example", tlp="green", is_ioc=True, tags=["phishing"])
    add(incident, lead, "d41d8cd98f00b204e9800998ecf8427e", type="md5")
    add(incident, lead, "203.0.113.66", type="ipv4", tlp="red", is_ioc=True)
    add(incident, lead, "Mozilla/5.0 (EvilBot)", type="user_agent")
    return incident


def test_the_stix_bundle_is_valid_and_carries_indicators_observations_markings_and_report(
    token_client, lead, marked
):
    response = token_client(lead, "observables:read").get(url(marked, "stix"))
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/stix+json")
    assert "attachment" in response["Content-Disposition"]
    result = validate_string(response.content.decode(), ValidationOptions(version="2.1"))
    assert result.is_valid, [str(error) for error in result.errors]
    objects = json.loads(response.content)["objects"]
    by_type = {}
    for obj in objects:
        by_type.setdefault(obj["type"], []).append(obj)
    patterns = sorted(obj["pattern"] for obj in by_type["indicator"])
    assert patterns == [
        "[domain-name:value = 'evil.example']",
        "[ipv4-addr:value = '203.0.113.66']",
    ]
    assert by_type["file"][0]["hashes"] == {"MD5": "d41d8cd98f00b204e9800998ecf8427e"}
    assert len(by_type["observed-data"]) == 2
    assert by_type["x-cordon-observable"][0]["value"] == "Mozilla/5.0 (EvilBot)"
    (report,) = by_type["report"]
    assert report["name"].startswith(marked.reference)
    assert report["object_marking_refs"] == [TLP2_IDS["red"]]  # the lead is given red
    assert len(report["object_refs"]) == 4
    markings = {obj["name"] for obj in by_type["marking-definition"]}
    assert markings == {"TLP:GREEN", "TLP:AMBER", "TLP:RED"}
    green = next(obj for obj in by_type["indicator"] if "evil.example" in obj["pattern"])
    assert green["object_marking_refs"] == [TLP2_IDS["green"]]
    assert green["labels"] == ["phishing"]
    assert response["X-TLP"] == "red"


def test_the_misp_event_tags_tlp_and_sets_to_ids_for_iocs(token_client, lead, marked):
    response = token_client(lead, "observables:read").get(url(marked, "misp"))
    assert response.status_code == 200, response.content
    event = json.loads(response.content)["Event"]
    assert {"name": "tlp:red"} in [{"name": tag["name"]} for tag in event["Tag"]]
    attributes = {attr["value"]: attr for attr in event["Attribute"]}
    assert attributes["evil.example"]["type"] == "domain"
    assert attributes["evil.example"]["to_ids"] is True
    assert {tag["name"] for tag in attributes["evil.example"]["Tag"]} >= {
        "tlp:green",
        "PAP:AMBER",
        "phishing",
    }
    assert attributes["d41d8cd98f00b204e9800998ecf8427e"]["to_ids"] is False
    assert attributes["Mozilla/5.0 (EvilBot)"]["type"] == "user-agent"
    assert str(event["distribution"]) == "0"  # your organisation only


def test_the_csv_names_each_marking_and_the_file_the_highest(token_client, lead, marked):
    response = token_client(lead, "observables:read").get(url(marked, "csv"))
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert {row["normalized_value"]: row["tlp"] for row in rows}["evil.example"] == "TLP:GREEN"
    assert "TLP-RED" in response["Content-Disposition"]


@pytest.mark.parametrize("fmt", ["stix", "misp", "csv"])
def test_red_observables_never_leave_for_someone_outside_the_crew(
    token_client, marked, make_member, fmt
):
    outsider = make_member(username="outsider")  # a responder, not on the crew
    response = token_client(outsider, "observables:read").get(url(marked, fmt))
    assert response.status_code == 200, response.content
    assert b"203.0.113.66" not in response.content
    assert b"evil.example" in response.content
    assert response["X-Observables-Withheld"] == "1"
    assert response["X-TLP"] == "amber"  # the incident's own marking is the highest left
    event = AuditEvent.objects.filter(action="observables.exported").latest("pk")
    assert event.data["withheld_red"] == 1


def test_the_crew_gets_red_observables(token_client, marked, make_member, lead):
    crew = make_member(username="crewmate")
    crew_add(incident=marked, actor=lead, user=crew)
    response = token_client(crew, "observables:read").get(url(marked, "csv"))
    assert b"203.0.113.66" in response.content
    assert response["X-Observables-Withheld"] == "0"


def test_a_red_incident_s_title_stays_home(token_client, make_incident, lead, make_member):
    secret = make_incident(reporter=lead, title="Board member phished", tlp="red")
    add(secret, lead, "green.example", tlp="green")
    outsider = make_member(username="outsider")
    response = token_client(outsider, "observables:read").get(url(secret, "stix"))
    assert b"Board member" not in response.content
    assert response["X-TLP"] == "green"


def test_every_export_is_audited_with_who_what_and_the_file_hash(token_client, lead, marked):
    response = token_client(lead, "observables:read").get(url(marked, "misp"))
    event = AuditEvent.objects.get(action="observables.exported")
    assert event.actor_id == lead.pk
    assert event.data["incident"] == marked.reference
    assert event.data["format"] == "misp"
    assert event.data["count"] == 4
    assert event.data["sha256"] == hashlib.sha256(response.content).hexdigest()
    assert event.data["highest_tlp"] == "red"


def test_an_unknown_format_is_a_400_naming_it_and_records_nothing(token_client, lead, marked):
    response = token_client(lead, "observables:read").get(url(marked, "xml"))
    assert response.status_code == 400
    assert "format" in response.json()
    assert not AuditEvent.objects.filter(action="observables.exported").exists()


def test_export_needs_the_read_scope(token_client, lead, marked):
    response = token_client(lead, "incidents:read").get(url(marked, "stix"))
    assert response.status_code == 403


@pytest.mark.parametrize("role", ["responder", "manager", "reporter"])
def test_a_restricted_incident_is_404_to_export_for_those_outside_it(
    request, token_client, make_incident, lead, role
):
    restricted = make_incident(reporter=lead, restricted=True)
    add(restricted, lead, "insider.example")
    user = request.getfixturevalue(role)
    response = token_client(user, "observables:read").get(url(restricted, "stix"))
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="observables.exported").exists()


@pytest.mark.parametrize("fmt", ["stix", "misp", "csv"])
def test_an_idn_homograph_leaves_in_punycode(token_client, lead, incident, fmt):
    add(incident, lead, "pаypal.com", is_ioc=True)  # noqa: RUF001 - a Cyrillic a
    response = token_client(lead, "observables:read").get(url(incident, fmt))
    assert b"xn--pypal-4ve.com" in response.content
    if fmt != "csv":  # the CSV keeps the value as given too, beside the normalised one
        assert "pаypal.com".encode() not in response.content  # noqa: RUF001
