"""Correlation never crosses need-to-know: a responder, a reporter and a manager each see
related incidents only among those they may see, in HTML and over the API (the CLI in
tests/cli/test_observables.py). The same value sits on a restricted incident none of
them crews: it is never shown, counted or hinted at."""

import pytest

from accounts.roles import Role
from tests.conftest import sign_in
from tests.observables.conftest import add

pytestmark = pytest.mark.django_db

VALUE = "c2.evil.example"


@pytest.fixture
def world(lead, responder, reporter, manager, make_member, make_incident):
    """Incidents holding VALUE: a restricted one (the lead's), an open one filed by the
    lead, two filed by the reporter (the reporter added it to both)."""
    restricted = make_incident(reporter=lead, title="Insider case", restricted=True)
    add(restricted, lead, VALUE)
    opened = make_incident(reporter=lead, title="Phishing wave")
    add(opened, lead, VALUE)
    mine = make_incident(reporter=reporter, title="Odd mail")
    add(mine, reporter, VALUE)
    mine_too = make_incident(reporter=reporter, title="Odd mail again")
    add(mine_too, reporter, VALUE)
    return {"restricted": restricted, "open": opened, "mine": mine, "mine_too": mine_too}


def _api_related(token_client, user, incident):
    api = token_client(user, "observables:read")
    response = api.get(f"/api/v1/incidents/{incident.pk}/observables/")
    assert response.status_code == 200, response.content
    (item,) = response.json()["results"]
    return {ref["reference"] for ref in item["related"]}, item["related_count"]


def _lookup(token_client, user):
    api = token_client(user, "observables:read")
    response = api.get("/api/v1/observables/", {"value": "c2.evil[.]example"})
    assert response.status_code == 200
    return {hit["incident"]["reference"] for hit in response.json()["results"]}


@pytest.mark.parametrize("role", ["responder", "manager"])
def test_csirt_members_see_related_open_incidents_and_never_a_restricted_one(
    request, token_client, world, role
):
    user = request.getfixturevalue(role)
    refs, count = _api_related(token_client, user, world["open"])
    assert world["restricted"].reference not in refs
    assert refs == {world["mine"].reference, world["mine_too"].reference}
    assert count == 2
    assert world["restricted"].reference not in _lookup(token_client, user)


def test_the_crew_of_the_restricted_incident_sees_it_related(token_client, world, lead, responder):
    from incidents.services import crew_add

    crew_add(incident=world["restricted"], actor=lead, user=responder)
    refs, count = _api_related(token_client, responder, world["open"])
    assert world["restricted"].reference in refs and count == 3


def test_a_reporter_sees_correlation_only_among_what_they_filed(token_client, world, reporter):
    refs, count = _api_related(token_client, reporter, world["mine"])
    assert refs == {world["mine_too"].reference}
    assert count == 1
    assert _lookup(token_client, reporter) == {world["mine"].reference, world["mine_too"].reference}


def test_a_reporter_does_not_see_observables_others_added_to_their_incident(
    token_client, world, reporter, lead
):
    add(world["mine"], lead, "198.51.100.9", type="ipv4")
    api = token_client(reporter, "observables:read")
    values = [
        i["value"]
        for i in api.get(f"/api/v1/incidents/{world['mine'].pk}/observables/").json()["results"]
    ]
    assert values == [VALUE]


def test_leads_see_every_incident_related(token_client, world, lead):
    refs, count = _api_related(token_client, lead, world["open"])
    assert world["restricted"].reference in refs and count == 3


def test_an_incident_out_of_sight_is_404_for_its_observables(token_client, world, responder):
    api = token_client(responder)
    assert api.get(f"/api/v1/incidents/{world['restricted'].pk}/observables/").status_code == 404
    response = api.post(
        f"/api/v1/incidents/{world['restricted'].pk}/observables/",
        {"type": "domain", "value": "x.example"},
    )
    assert response.status_code == 404


@pytest.mark.parametrize("role", ["responder", "manager", "reporter"])
def test_the_incident_page_names_no_restricted_incident(client, request, world, role):
    user = request.getfixturevalue(role)
    sign_in(client, user)
    incident = world["mine"] if role == "reporter" else world["open"]
    html = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert world["restricted"].reference not in html
    assert "Insider case" not in html
    if role == "reporter":
        assert world["mine_too"].reference in html
        assert world["open"].reference not in html
    else:
        assert "Shares observables with" in html
        assert world["mine"].reference in html


@pytest.mark.parametrize("role", ["responder", "manager", "reporter"])
def test_the_search_page_finds_no_restricted_incident(client, request, world, role):
    user = request.getfixturevalue(role)
    sign_in(client, user)
    response = client.get("/observables/", {"q": "C2.EVIL[.]example"})
    html = response.content.decode()
    assert response.status_code == 200
    assert world["restricted"].reference not in html
    if role != "reporter":
        assert world["open"].reference in html


def test_an_ignored_value_is_left_out_on_both_sides(token_client, world, lead, make_incident):
    noisy = make_incident(reporter=lead)
    add(noisy, lead, "8.8.8.8", type="ipv4", ignore_for_correlation=True)
    other = make_incident(reporter=lead)
    add(other, lead, "8.8.8.8", type="ipv4")
    api = token_client(lead, "observables:read")
    for incident in (noisy, other):
        (item,) = api.get(f"/api/v1/incidents/{incident.pk}/observables/").json()["results"]
        assert item["related"] == [] and item["related_count"] == 0


def test_a_member_of_no_role_sees_nothing(token_client, make_member, world):
    nobody = make_member(Role.AUDITOR, username="ava")
    # auditors read everything; here the point is the gate answers for each role
    refs, _ = _api_related(token_client, nobody, world["open"])
    assert world["restricted"].reference in refs
