"""Affected systems: their facts can be changed after they were added, in the browser
and over the API, most often to record when the impact ended (disclosures use that
window). Before, system_update had no caller at all."""

import datetime as dt

import pytest

from audit.models import AuditEvent
from incidents import services
from incidents.models import AffectedSystem
from tests.conftest import sign_in
from tests.incidents.test_views import text

pytestmark = pytest.mark.django_db

STARTED = dt.datetime(2026, 11, 2, 8, 0, tzinfo=dt.UTC)
ENDED = dt.datetime(2026, 11, 3, 17, 30, tzinfo=dt.UTC)


@pytest.fixture
def system(incident, responder):
    return services.system_add(
        incident=incident, actor=responder, name="www-03", impact_start=STARTED
    )


def _edit(client, system, **changes):
    data = {
        "name": system.name,
        "kind": system.kind,
        "owner": system.owner,
        "impact_start": "2026-11-02 08:00",
        "impact_end": "",
        **changes,
    }
    return client.post(
        f"/incidents/{system.incident_id}/systems/{system.pk}/edit/", data, HTTP_HX_REQUEST="true"
    )


def test_the_incident_page_offers_to_record_the_end_of_the_impact(client, responder, system):
    sign_in(client, responder)
    page = text(client.get(f"/incidents/{system.incident_id}/"))
    assert f"/incidents/{system.incident_id}/systems/{system.pk}/edit/" in page
    assert "record when the impact ended" in page


def test_recording_the_end_of_the_impact_in_the_browser(client, responder, system):
    sign_in(client, responder)
    response = _edit(client, system, impact_end="2026-11-03 17:30", owner="Web team")
    assert response.status_code == 200, text(response)
    system.refresh_from_db()
    assert system.impact_end == ENDED and system.owner == "Web team"
    event = AuditEvent.objects.filter(action="incident.system_updated").latest("id")
    assert event.data["fields"] == ["impact_end", "owner"]
    assert "www-03 was updated." in text(response)


def test_an_end_before_the_start_is_a_field_error_and_changes_nothing(client, responder, system):
    sign_in(client, responder)
    response = _edit(client, system, impact_end="2026-11-01 08:00")
    assert response.status_code == 422
    assert "cannot end before it started" in text(response)
    assert '<details class="edit-facts" open>' in text(response)
    system.refresh_from_db()
    assert system.impact_end is None


def test_people_who_may_not_change_the_incident_cannot_edit(client, legal, system):
    sign_in(client, legal)
    assert _edit(client, system, impact_end="2026-11-03 17:30").status_code == 403
    assert AffectedSystem.objects.get(pk=system.pk).impact_end is None


# --- API -----------------------------------------------------------------------------


def _url(system=None, incident=None):
    incident_id = incident.pk if incident else system.incident_id
    base = f"/api/v1/incidents/{incident_id}/systems/"
    return f"{base}{system.pk}/" if system else base


def test_the_api_lists_adds_and_patches_systems(token_client, responder, incident):
    client = token_client(responder, "incidents:read", "incidents:write")
    created = client.post(
        _url(incident=incident),
        {"name": "db-01", "kind": "database", "impact_start": STARTED.isoformat()},
        format="json",
    )
    assert created.status_code == 201, created.json()
    system = AffectedSystem.objects.get(pk=created.json()["id"])

    patched = client.patch(
        _url(system),
        {"impact_end": ENDED.isoformat(), "containment_state": "isolated", "note": "VLAN 99"},
        format="json",
    )
    assert patched.status_code == 200, patched.json()
    assert patched.json()["containment_state"] == "isolated"
    system.refresh_from_db()
    assert system.impact_end == ENDED
    assert system.history.get().note == "VLAN 99"
    listed = client.get(_url(incident=incident)).json()
    assert [row["name"] for row in listed["results"]] == ["db-01"]


def test_the_api_refuses_bad_input_with_the_field_named(token_client, responder, system):
    client = token_client(responder, "incidents:write")
    response = client.patch(_url(system), {"impact_end": "2026-11-01T00:00:00Z"}, format="json")
    assert response.status_code == 400
    assert "impact_end" in response.json()
    assert client.patch(_url(system), {"colour": "red"}, format="json").status_code == 400
    system.refresh_from_db()
    assert system.impact_end is None


def test_the_api_keeps_restricted_incidents_out_of_sight(
    token_client, lead, make_member, make_incident
):
    from accounts.roles import Role

    restricted = make_incident(reporter=lead, restricted=True)
    system = services.system_add(incident=restricted, actor=lead, name="hr-db")
    outsider = token_client(make_member(Role.RESPONDER, username="outsider"))
    assert outsider.get(_url(incident=restricted)).status_code == 404
    assert outsider.patch(_url(system), {"owner": "me"}, format="json").status_code == 404


def test_reading_needs_the_read_scope_and_writing_the_write_scope(token_client, responder, system):
    reader = token_client(responder, "incidents:read")
    assert reader.get(_url(system)).status_code == 200
    assert reader.patch(_url(system), {"owner": "x"}, format="json").status_code == 403
