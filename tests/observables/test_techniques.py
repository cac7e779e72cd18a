"""MITRE ATT&CK techniques on incidents, chosen from the offline catalogue that ships in
pymispgalaxies: the browser picker, the API (list, add, remove; an unknown id is a 400),
the report, need-to-know."""

import pytest

from audit.models import AuditEvent
from observables import attack
from observables.models import IncidentTechnique
from observables.services import technique_add
from tests.conftest import sign_in
from tests.writes import writes_nothing

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def api_url(incident, pk=None):
    base = f"/api/v1/incidents/{incident.pk}/techniques/"
    return f"{base}{pk}/" if pk else base


def test_the_catalogue_ships_offline_with_current_techniques():
    techniques = attack.catalogue()
    assert len(techniques) > 500
    assert techniques["T1566.001"].name == "Spearphishing Attachment"
    assert "initial-access" in techniques["T1566.001"].tactics
    found = [hit.id for hit in attack.technique_search("spearphishing attach")]
    assert "T1566.001" in found and "T1193" not in found
    assert attack.technique_get("T1193") is None  # revoked: replaced by T1566.001


def test_the_picker_searches_and_adds_a_technique(client, lead, incident):
    sign_in(client, lead)
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert 'id="section-techniques"' in page
    found = client.get(
        f"/observables/incidents/{incident.pk}/techniques/", {"technique_q": "T1566"}, **HTMX
    )
    assert "T1566.001" in found.content.decode()
    added = client.post(
        f"/observables/incidents/{incident.pk}/techniques/add/",
        {"technique_id": "t1566.001"},
        **HTMX,
    )
    assert added.status_code == 200
    assert "Spearphishing Attachment" in added.content.decode()
    (row,) = IncidentTechnique.objects.filter(incident=incident)
    assert (row.technique_id, row.added_by) == ("T1566.001", lead)
    assert AuditEvent.objects.get(action="incident.technique_added").data["technique"] == (
        "T1566.001"
    )


def test_the_picker_refuses_an_unknown_id_and_writes_nothing(client, lead, incident):
    sign_in(client, lead)
    with writes_nothing():
        response = client.post(
            f"/observables/incidents/{incident.pk}/techniques/add/",
            {"technique_id": "T9999.999"},
            **HTMX,
        )
    assert response.status_code == 422
    assert "is not an ATT&amp;CK technique id" in response.content.decode()


def test_the_api_lists_adds_and_removes(token_client, lead, incident):
    api = token_client(lead, "observables:read", "observables:write")
    created = api.post(api_url(incident), {"technique_id": "T1059.001"}, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["name"] == "PowerShell"
    again = api.post(api_url(incident), {"technique_id": "T1059.001"}, format="json")
    assert again.status_code == 200
    listed = api.get(api_url(incident)).json()["results"]
    assert [item["technique_id"] for item in listed] == ["T1059.001"]
    removed = api.delete(api_url(incident, created.json()["id"]))
    assert removed.status_code == 204
    assert not IncidentTechnique.objects.exists()
    assert AuditEvent.objects.filter(action="incident.technique_removed").count() == 1


@pytest.mark.parametrize("bad", ["T9999", "phishing", "", "T1566.001; DROP"])
def test_an_invalid_id_is_a_400_naming_the_field(token_client, lead, incident, bad):
    api = token_client(lead, "observables:write")
    with writes_nothing():
        response = api.post(api_url(incident), {"technique_id": bad}, format="json")
    assert response.status_code == 400
    assert "technique_id" in response.json()


def test_the_catalogue_search_over_the_api(token_client, lead):
    response = token_client(lead, "observables:read").get("/api/v1/attack/techniques/?q=powershell")
    assert response.status_code == 200
    assert "T1059.001" in [hit["id"] for hit in response.json()]


def test_the_report_shows_the_techniques(client, lead, incident):
    technique_add(incident=incident, actor=lead, technique_id="T1566.001")
    sign_in(client, lead)
    html = client.get(f"/incidents/{incident.pk}/report/").content.decode()
    assert "8. ATT&amp;CK techniques" in html and "T1566.001" in html


@pytest.mark.parametrize("role", ["responder", "manager", "reporter"])
def test_a_restricted_incident_s_techniques_are_404_outside_it(
    request, token_client, make_incident, lead, role
):
    restricted = make_incident(reporter=lead, restricted=True)
    row = technique_add(incident=restricted, actor=lead, technique_id="T1566.001")
    api = token_client(request.getfixturevalue(role), "observables:read", "observables:write")
    assert api.get(api_url(restricted)).status_code == 404
    with writes_nothing():
        assert (
            api.post(api_url(restricted), {"technique_id": "T1059"}, format="json").status_code
            == 404
        )
        assert api.delete(api_url(restricted, row.pk)).status_code == 404
