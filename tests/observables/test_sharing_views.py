"""Sharing from the incident page: the download links (audited, TLP:RED withheld outside
the crew and leads, refused from another site) and the import form."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditEvent
from observables.models import Observable
from tests.conftest import sign_in
from tests.observables.conftest import add
from tests.writes import writes_nothing

pytestmark = pytest.mark.django_db


def test_the_section_offers_the_three_downloads_and_the_import_form(client, lead, incident):
    sign_in(client, lead)
    html = client.get(f"/incidents/{incident.pk}/").content.decode()
    for fmt in ("stix", "misp", "csv"):
        assert f"/observables/incidents/{incident.pk}/export/?format={fmt}" in html
    assert f"/observables/incidents/{incident.pk}/import/" in html


def test_a_download_leaves_red_out_for_a_responder_off_the_crew(
    client, incident, lead, make_member
):
    add(incident, lead, "red.example", tlp="red")
    add(incident, lead, "amber.example")
    outsider = make_member(username="outsider")
    sign_in(client, outsider)
    response = client.get(f"/observables/incidents/{incident.pk}/export/?format=csv")
    assert response.status_code == 200
    assert b"amber.example" in response.content and b"red.example" not in response.content
    assert AuditEvent.objects.get(action="observables.exported").data["withheld_red"] == 1


def test_a_download_asked_for_by_another_site_is_refused_and_not_recorded(client, lead, incident):
    sign_in(client, lead)
    response = client.get(
        f"/observables/incidents/{incident.pk}/export/?format=stix",
        HTTP_SEC_FETCH_SITE="cross-site",
    )
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="observables.exported").exists()


def test_an_unknown_format_is_400(client, lead, incident):
    sign_in(client, lead)
    response = client.get(f"/observables/incidents/{incident.pk}/export/?format=pdf")
    assert response.status_code == 400
    assert b"format" in response.content


def test_importing_a_misp_file_adds_its_observables(client, lead, incident):
    sign_in(client, lead)
    event = {"Event": {"info": "x", "Attribute": [{"type": "domain", "value": "evil.example"}]}}
    upload = SimpleUploadedFile("event.json", json.dumps(event).encode())
    response = client.post(f"/observables/incidents/{incident.pk}/import/", {"file": upload})
    assert response.status_code == 302
    (obs,) = Observable.objects.filter(incident=incident)
    assert (obs.normalized_value, obs.source) == ("evil.example", "imported")


def test_a_file_that_is_not_json_is_refused_with_its_reason_and_nothing_written(
    client, lead, incident
):
    sign_in(client, lead)
    upload = SimpleUploadedFile("event.json", b"<xml/>")
    with writes_nothing():
        response = client.post(f"/observables/incidents/{incident.pk}/import/", {"file": upload})
    assert response.status_code == 422
    assert "The file is not JSON" in response.content.decode()


def test_a_restricted_incident_is_404_for_export_and_import_outside_it(
    client, make_incident, lead, responder
):
    restricted = make_incident(reporter=lead, restricted=True)
    sign_in(client, responder)
    assert (
        client.get(f"/observables/incidents/{restricted.pk}/export/?format=csv").status_code == 404
    )
    upload = SimpleUploadedFile("event.json", b"{}")
    with writes_nothing():
        response = client.post(f"/observables/incidents/{restricted.pk}/import/", {"file": upload})
    assert response.status_code == 404
