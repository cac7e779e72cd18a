"""TLP and PAP on incidents (filing, defaults from settings) and TLP on evidence (the
incident's unless given), shown in exports."""

import io
import json
import zipfile

import pytest

from incidents.models import Incident

pytestmark = pytest.mark.django_db


def test_filing_over_the_api_takes_tlp_and_pap(token_client, lead):
    api = token_client(lead, "incidents:write")
    response = api.post(
        "/api/v1/incidents/", {"title": "Leak", "severity": "high", "tlp": "red", "pap": "clear"}
    )
    assert response.status_code == 201, response.content
    assert (response.json()["tlp"], response.json()["pap"]) == ("red", "clear")
    bad = api.post("/api/v1/incidents/", {"title": "x", "severity": "low", "tlp": "purple"})
    assert bad.status_code == 400 and "tlp" in bad.json()


def test_the_defaults_come_from_the_settings(token_client, lead, settings):
    settings.INCIDENT_DEFAULT_TLP = "green"
    settings.INCIDENT_DEFAULT_PAP = "red"
    api = token_client(lead, "incidents:write")
    body = api.post("/api/v1/incidents/", {"title": "Scan", "severity": "low"}).json()
    assert (body["tlp"], body["pap"]) == ("green", "red")
    assert Incident.objects.get().tlp == "green"


def test_evidence_takes_the_incidents_tlp_unless_given_and_the_manifest_says_it(
    token_client, lead, make_incident, settings, tmp_path
):
    settings.EVIDENCE_ROOT = tmp_path / "vault"
    settings.EVIDENCE_STORAGE = "local"
    incident = make_incident(reporter=lead, tlp="amber+strict")
    api = token_client(lead)
    url = f"/api/v1/incidents/{incident.pk}/evidence/"
    first = api.post(url, {"file": io.BytesIO(b"a"), "kind": "log"}, format="multipart")
    second = api.post(url, {"file": io.BytesIO(b"b"), "tlp": "red"}, format="multipart")
    assert (first.json()["tlp"], second.json()["tlp"]) == ("amber+strict", "red")
    package = api.get(f"{url}export/")
    assert package.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(package.streaming_content)))
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["incident"]["tlp"] == "amber+strict"
    assert sorted(item["tlp"] for item in manifest["items"]) == ["amber+strict", "red"]


def test_the_marking_label_is_text_and_colour(client, lead, make_incident):
    from django.template import Context, Template

    html = Template("{% load core_marking %}{% tlp 'amber+strict' %}{% pap 'red' %}").render(
        Context()
    )
    assert "marking-tlp-amber-strict" in html and "TLP:AMBER+STRICT" in html
    assert "PAP:RED" in html
