"""Need-to-know through the API: what is out of sight is 404, never 403, and never listed."""

import pytest

from accounts.roles import Role
from audit.models import AuditEvent
from incidents import services
from incidents.models import CrewRole, Incident
from incidents.selectors import visible_incidents

pytestmark = pytest.mark.django_db

URL = "/api/v1/incidents/"


def detail_url(incident) -> str:
    return f"{URL}{incident.pk}/"


def listed_ids(client) -> set[int]:
    response = client.get(URL, {"page_size": 200})
    assert response.status_code == 200
    return {item["id"] for item in response.json()["results"]}


@pytest.fixture
def reporters_incident(reporter):
    return services.incident_file(reporter=reporter, title="Phishing mail clicked", severity="low")


@pytest.fixture
def other_reporter(make_member):
    return make_member(Role.REPORTER, username="otto")


@pytest.fixture
def restricted(make_incident, lead):
    return make_incident(reporter=lead, title="Insider exfiltration", restricted=True)


@pytest.fixture
def open_incident(make_incident, lead):
    return make_incident(reporter=lead, title="DDoS on the shop", restricted=False)


# --- Reporters see only what they filed ----------------------------------------


def test_a_reporter_sees_what_they_filed(reporter, token_client, reporters_incident):
    client = token_client(reporter, "incidents:read")
    assert client.get(detail_url(reporters_incident)).status_code == 200
    assert listed_ids(client) == {reporters_incident.pk}


def test_another_reporters_incident_is_404(other_reporter, token_client, reporters_incident):
    client = token_client(other_reporter, "incidents:read")
    assert client.get(detail_url(reporters_incident)).status_code == 404


def test_patching_another_reporters_incident_is_404_and_changes_nothing(
    other_reporter, token_client, reporters_incident
):
    client = token_client(other_reporter, "incidents:read", "incidents:write")
    domain_events = AuditEvent.objects.exclude(action__startswith="http.")
    events = domain_events.count()
    response = client.patch(
        detail_url(reporters_incident), {"title": "Hijacked", "status": "triage"}, format="json"
    )
    assert response.status_code == 404
    reporters_incident.refresh_from_db()
    assert (reporters_incident.title, reporters_incident.status) == (
        "Phishing mail clicked",
        "new",
    )
    assert domain_events.count() == events
    assert AuditEvent.objects.filter(action="http.404", actor=other_reporter).exists()


def test_another_reporters_incident_is_not_listed(
    other_reporter, token_client, reporters_incident, open_incident
):
    client = token_client(other_reporter, "incidents:read")
    assert listed_ids(client) == set()


def test_a_reporter_does_not_see_unrestricted_incidents_of_others(
    reporter, token_client, open_incident
):
    client = token_client(reporter, "incidents:read")
    assert client.get(detail_url(open_incident)).status_code == 404


def test_a_hidden_incident_and_a_missing_one_answer_alike(
    other_reporter, token_client, reporters_incident
):
    client = token_client(other_reporter, "incidents:read")
    hidden = client.get(detail_url(reporters_incident))
    missing = client.get(f"{URL}987654/")
    assert hidden.status_code == missing.status_code == 404
    # Alike but for the request id each answer carries (core.api).
    assert {**hidden.json(), "request_id": ""} == {**missing.json(), "request_id": ""}


# --- Restricted incidents: crew and leads only ---------------------------------


def test_a_restricted_incident_is_404_for_a_responder_not_on_the_crew(
    responder, token_client, restricted
):
    client = token_client(responder, "incidents:read", "incidents:write")
    assert client.get(detail_url(restricted)).status_code == 404
    assert client.patch(detail_url(restricted), {"title": "x"}, format="json").status_code == 404
    assert restricted.pk not in listed_ids(client)


def test_a_restricted_incident_is_visible_to_its_crew(
    responder, token_client, restricted, lead, open_incident
):
    services.crew_add(incident=restricted, actor=lead, user=responder, role=CrewRole.RESPONDER)
    client = token_client(responder, "incidents:read")
    assert client.get(detail_url(restricted)).status_code == 200
    assert listed_ids(client) == {restricted.pk, open_incident.pk}


def test_removal_from_the_crew_takes_the_sight_away(responder, token_client, restricted, lead):
    member = services.crew_add(incident=restricted, actor=lead, user=responder)
    client = token_client(responder, "incidents:read")
    assert client.get(detail_url(restricted)).status_code == 200
    services.crew_remove(member=member, actor=lead)
    assert client.get(detail_url(restricted)).status_code == 404


def test_a_responder_sees_the_restricted_incident_they_filed(responder, token_client):
    own = services.incident_file(
        reporter=responder, title="Leaked key", severity="high", restricted=True
    )
    client = token_client(responder, "incidents:read")
    assert client.get(detail_url(own)).status_code == 200


@pytest.mark.parametrize("role", [Role.LEAD, Role.AUDITOR])
def test_leads_and_auditors_see_every_incident(
    make_member, token_client, role, restricted, open_incident, reporters_incident
):
    client = token_client(make_member(role), "incidents:read")
    assert listed_ids(client) == {restricted.pk, open_incident.pk, reporters_incident.pk}
    assert client.get(detail_url(restricted)).status_code == 200


@pytest.mark.parametrize("role", [Role.MANAGER, Role.LEGAL])
def test_managers_and_legal_see_unrestricted_incidents_only(
    make_member, token_client, role, restricted, open_incident, reporters_incident
):
    client = token_client(make_member(role), "incidents:read")
    assert listed_ids(client) == {open_incident.pk, reporters_incident.pk}
    assert client.get(detail_url(restricted)).status_code == 404


def test_filters_do_not_reveal_hidden_incidents(responder, token_client, restricted):
    client = token_client(responder, "incidents:read")
    for query in ({"q": "exfiltration"}, {"q": restricted.reference}, {"severity": "high"}):
        response = client.get(URL, query)
        assert restricted.pk not in {item["id"] for item in response.json()["results"]}


# --- Deactivated people see nothing --------------------------------------------


def test_a_deactivated_person_sees_nothing(make_member, open_incident, restricted):
    lead = make_member(Role.LEAD)
    assert visible_incidents(lead).count() == 2
    lead.is_active = False
    lead.save()
    assert not visible_incidents(lead).exists()


def test_a_deactivated_reporter_no_longer_sees_what_they_filed(reporter, reporters_incident):
    reporter.is_active = False
    reporter.save()
    assert not visible_incidents(reporter).exists()
    assert Incident.objects.filter(pk=reporters_incident.pk).exists()


def test_a_deactivated_persons_token_reads_nothing(make_member, token_client, open_incident):
    lead = make_member(Role.LEAD)
    client = token_client(lead, "incidents:read")
    lead.is_active = False
    lead.save()
    assert client.get(URL).status_code == 401
    assert client.get(detail_url(open_incident)).status_code == 401


def test_anonymous_sees_nothing(open_incident):
    from django.contrib.auth.models import AnonymousUser

    assert not visible_incidents(AnonymousUser()).exists()
    assert not visible_incidents(None).exists()


# --- Who may lift need-to-know -------------------------------------------------


def test_a_crew_responder_cannot_lift_the_restriction(responder, lead, token_client, restricted):
    services.crew_add(incident=restricted, actor=lead, user=responder, role=CrewRole.RESPONDER)
    client = token_client(responder, "incidents:read", "incidents:write")

    response = client.patch(detail_url(restricted), {"restricted": False}, format="json")

    assert response.status_code == 403
    restricted.refresh_from_db()
    assert restricted.restricted is True


def test_the_commander_can_lift_the_restriction(responder, lead, token_client, restricted):
    services.crew_add(incident=restricted, actor=lead, user=responder, role=CrewRole.COMMANDER)
    client = token_client(responder, "incidents:read", "incidents:write")

    response = client.patch(detail_url(restricted), {"restricted": False}, format="json")

    assert response.status_code == 200
    restricted.refresh_from_db()
    assert restricted.restricted is False
