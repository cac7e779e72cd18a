"""Tags: one vocabulary for incidents and observables, a managed list with colours,
filter and facet in the list, the API and the overview."""

import pytest

from incidents import services
from incidents.models import Tag
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def tagged(make_incident, lead):
    services.tag_save(actor=lead, name="Finance", colour="#ff0000")
    first = make_incident(reporter=lead, title="Payroll phish", tags=["finance", "email"])
    second = make_incident(reporter=lead, title="Wire fraud", tags=["Finance"])
    make_incident(reporter=lead, title="Unrelated")
    return first, second


def test_managed_tags_keep_their_spelling(tagged):
    first, second = tagged
    assert first.tags == ["Finance", "email"]
    assert second.tags == ["Finance"]


def test_list_filters_and_facets_by_tag(client, lead, tagged):
    sign_in(client, lead)
    page = client.get("/incidents/?tag=Finance").content.decode()
    assert "Payroll phish" in page and "Wire fraud" in page and "Unrelated" not in page
    assert "Finance (2)" in page
    home = client.get("/").content.decode()
    assert "Tags of open incidents" in home and "Finance (2)" in home


def test_api_files_with_tags_and_filters_by_tag(token_client, lead, tagged):
    api = token_client(lead, "incidents:read", "incidents:write")
    answer = api.post(
        "/api/v1/incidents/",
        {"title": "x", "severity": "low", "tags": ["finance", "ddos"]},
        format="json",
    )
    assert answer.status_code == 201 and answer.json()["tags"] == ["Finance", "ddos"]
    found = {
        row["title"] for row in api.get("/api/v1/incidents/", {"tag": "Finance"}).json()["results"]
    }
    assert found == {"Payroll phish", "Wire fraud", "x"}
    bad = api.post(
        "/api/v1/incidents/", {"title": "y", "severity": "low", "tags": ["x" * 51]}, format="json"
    )
    assert bad.status_code == 400 and "tags" in bad.json()


def test_observables_share_the_vocabulary(lead, tagged):
    from observables.services import ObservableInput, observables_add

    first, _ = tagged
    added = observables_add(
        incident=first,
        actor=lead,
        items=[ObservableInput(type="ipv4", value="198.51.100.7", tags=["FINANCE"])],
    )
    assert added[0].observable.tags == ["Finance"]


def test_only_leads_keep_the_list_and_colours_are_checked(client, responder, lead):
    sign_in(client, responder)
    assert client.post("/incidents/tags/", {"name": "x", "colour": "#000000"}).status_code == 403
    sign_in(client, lead)
    assert client.post("/incidents/tags/", {"name": "x", "colour": "red"}).status_code == 422
    assert client.post("/incidents/tags/", {"name": "x", "colour": "#00ff00"}).status_code == 302
    assert Tag.objects.get(name="x").colour == "#00ff00"


def test_api_tag_facets_follow_the_filters_and_the_gate(token_client, lead, responder, tagged):
    api = token_client(lead, "incidents:read")
    facets = api.get("/api/v1/incidents/tags/").json()["results"]
    assert {"tag": "Finance", "count": 2} in facets
    assert api.get("/api/v1/incidents/tags/", {"q": "Wire"}).json()["results"] == [
        {"tag": "Finance", "count": 1}
    ]
    services.incident_update(incident=tagged[1], actor=lead, restricted=True)
    mine = token_client(responder, "incidents:read").get("/api/v1/incidents/tags/").json()
    assert {"tag": "Finance", "count": 1} in mine["results"]
