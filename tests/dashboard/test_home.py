"""The overview page: open incidents the person may see, and the regulatory clocks running."""

from datetime import timedelta

import pytest

from disclosures import services as disclosure_services
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def regulator_notice(incident, responder):
    return disclosure_services.disclosure_create(
        incident=incident, actor=responder, audience="regulator", regime="gdpr_art33"
    )


def test_the_gdpr_clock_of_an_open_disclosure_counts_down_on_the_overview(
    client, lead, incident, regulator_notice
):
    sign_in(client, lead)
    response = client.get("/")
    (clock,) = [row for row in response.context["clocks"] if row["deadline"].due_at]
    assert clock["disclosure"] == regulator_notice
    assert clock["deadline"].due_at == incident.aware_at + timedelta(hours=72)
    assert clock["state"] == "running"
    page = response.content.decode()
    assert incident.reference in page
    assert clock["text"] in page


def test_clocks_of_incidents_out_of_sight_are_not_shown(
    client, make_member, make_incident, lead, responder
):
    hidden = make_incident(reporter=lead, restricted=True, title="Quiet insider case")
    disclosure_services.disclosure_create(
        incident=hidden, actor=lead, audience="regulator", regime="gdpr_art33"
    )
    outsider = make_member("responder", username="outsider")
    sign_in(client, outsider)
    page = client.get("/").content.decode()
    assert hidden.reference not in page
    assert "No regulatory clock is running." in page


def test_open_incidents_are_counted_by_status(client, lead, make_incident):
    make_incident(reporter=lead)
    make_incident(reporter=lead)
    sign_in(client, lead)
    response = client.get("/")
    assert response.context["open_count"] == 2
    assert ("New", 2) in response.context["status_counts"]


def test_the_overview_needs_a_signed_in_verified_person(client):
    assert client.get("/").status_code == 302
