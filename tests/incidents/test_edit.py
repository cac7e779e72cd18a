"""Editing an incident's facts: the browser form (with and without htmx) and the API
alike write the changes into the timeline, so it never tells the old severity."""

import datetime as dt

import pytest
from django.utils import timezone

from incidents import services
from incidents.lifecycle import Status
from incidents.models import EntryKind, Incident
from incidents.services.common import IncidentClosed
from tests.conftest import sign_in
from tests.writes import writes_nothing

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
UNPROCESSABLE = 422


def edit_url(incident) -> str:
    return f"/incidents/{incident.pk}/edit/"


def form_data(incident, **changes) -> dict:
    """The edit form as the page fills it in, with `changes` typed over it."""
    data = {
        "title": incident.title,
        "severity": incident.severity,
        "description": incident.description,
        "occurred_at": "",
        "discovered_at": "",
        "aware_at": incident.aware_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M"),
        "discovery_method": incident.discovery_method,
        "attack_vectors": ", ".join(incident.attack_vectors),
        "estimated_affected_people": "",
        "tlp": incident.tlp,
        "pap": incident.pap,
    }
    data.update(changes)
    return data


def facts_entries(incident):
    return list(incident.timeline.filter(kind=EntryKind.FACTS_CHANGE).order_by("id"))


@pytest.fixture
def lead_client(client, lead):
    sign_in(client, lead)
    return client


# --- The service ----------------------------------------------------------------


def test_a_severity_change_is_a_timeline_entry(incident, lead):
    services.incident_update(incident=incident, actor=lead, severity="critical", tlp="red")
    (entry,) = facts_entries(incident)
    assert "Severity changed from High to Critical." in entry.body
    assert "TLP changed from" in entry.body and "RED" in entry.body
    assert entry.author == lead


def test_long_texts_are_said_edited_not_copied(incident, lead):
    services.incident_update(incident=incident, actor=lead, description="Secret details")
    (entry,) = facts_entries(incident)
    assert entry.body == "Description edited."


def test_data_categories_and_times_are_shown_as_people_read_them(incident, lead):
    when = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(days=1)
    services.incident_update(
        incident=incident, actor=lead, data_categories=["pii", "financial"], occurred_at=when
    )
    (entry,) = facts_entries(incident)
    assert "Personal data (PII), Financial data" in entry.body
    assert f"from unknown to {when.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC" in entry.body


def test_an_update_that_changes_nothing_writes_no_entry(incident, lead):
    services.incident_update(incident=incident, actor=lead, severity=incident.severity)
    assert facts_entries(incident) == []


# --- The API --------------------------------------------------------------------


def test_an_api_severity_change_is_in_the_timeline(incident, responder, token_client):
    api = token_client(responder, "incidents:read", "incidents:write")
    response = api.patch(f"/api/v1/incidents/{incident.pk}/", {"severity": "low"}, format="json")
    assert response.status_code == 200
    latest = incident.timeline.order_by("-id").first()
    assert latest.kind == EntryKind.FACTS_CHANGE
    assert latest.body == "Severity changed from High to Low."


# --- The browser ----------------------------------------------------------------


def test_the_page_offers_the_edit_form_filled_in(lead_client, incident):
    body = lead_client.get(f"/incidents/{incident.pk}/").content.decode()
    assert 'id="edit-incident"' in body
    assert f'action="{edit_url(incident)}"' in body
    assert f'value="{incident.title}"' in body


def test_a_reporter_gets_no_edit_form_and_cannot_post_it(client, reporter):
    own = services.incident_file(reporter=reporter, title="Phishing mail", severity="low")
    sign_in(client, reporter)
    assert 'id="edit-incident"' not in client.get(f"/incidents/{own.pk}/").content.decode()
    with writes_nothing():
        response = client.post(edit_url(own), form_data(own, severity="critical"))
    assert response.status_code == 403


def test_an_incident_out_of_sight_is_404(client, responder, lead):
    hidden = services.incident_file(
        reporter=lead, title="Insider case", severity="high", restricted=True
    )
    sign_in(client, responder)
    with writes_nothing():
        response = client.post(edit_url(hidden), form_data(hidden, title="Seen"))
    assert response.status_code == 404


def test_editing_in_the_browser_changes_the_facts_and_the_timeline(lead_client, incident):
    response = lead_client.post(
        edit_url(incident),
        form_data(
            incident,
            title="Web shell on www1, confirmed",
            severity="critical",
            estimated_affected_people="1200",
            data_categories=["pii", "credentials"],
            pap="red",
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == f"/incidents/{incident.pk}/#section-summary"
    incident.refresh_from_db()
    assert incident.title == "Web shell on www1, confirmed"
    assert incident.severity == "critical"
    assert incident.estimated_affected_people == 1200
    assert incident.data_categories == ["pii", "credentials"]
    assert incident.pap == "red"
    (entry,) = facts_entries(incident)
    assert "Severity changed from High to Critical." in entry.body
    assert "Estimated affected people changed from unknown to 1200." in entry.body


def test_a_form_sent_back_unchanged_changes_nothing(lead_client, incident):
    response = lead_client.post(edit_url(incident), form_data(incident))
    assert response.status_code == 302
    assert facts_entries(incident) == []


def test_htmx_edit_answers_the_summary_with_the_header_and_the_timeline(lead_client, incident):
    response = lead_client.post(edit_url(incident), form_data(incident, severity="low"), **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="section-summary"')
    assert '<header id="incident-header"' in body and "Low severity" in body
    assert "Severity changed from High to Low." in body


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": ""}, "title"),
        ({"severity": "apocalyptic"}, "severity"),
        ({"aware_at": ""}, "aware_at"),
        ({"tlp": "purple"}, "tlp"),
        ({"estimated_affected_people": "-3"}, "estimated_affected_people"),
        ({"occurred_at": "2999-01-01T00:00"}, "occurred_at"),
    ],
)
def test_bad_input_is_shown_at_its_field_and_writes_nothing(lead_client, incident, changes, field):
    with writes_nothing():
        response = lead_client.post(edit_url(incident), form_data(incident, **changes), **HTMX)
    assert response.status_code == UNPROCESSABLE
    body = response.content.decode()
    assert f'id="id_edit_{field}"' in body and 'aria-invalid="true"' in body
    assert 'id="edit-incident" open' in body


def test_a_closed_incident_is_read_only_until_reopened(
    lead_client, incident, lead, responder, token_client
):
    Incident.objects.filter(pk=incident.pk).update(status=Status.CLOSED)
    incident.refresh_from_db()
    body = lead_client.get(f"/incidents/{incident.pk}/").content.decode()
    for form in ("edit-incident", "add-timeline-entry", "add-task", "add-system"):
        assert f'id="{form}"' not in body
    assert 'name="reason"' in body  # moving it back to review stays possible
    with writes_nothing():
        assert (
            lead_client.post(edit_url(incident), form_data(incident, title="x")).status_code == 403
        )
        with pytest.raises(IncidentClosed):
            services.timeline_entry_add(incident=incident, actor=lead, body="After the fact")
        with pytest.raises(IncidentClosed):
            services.task_add(incident=incident, actor=lead, title="One more thing")
    api = token_client(responder, "incidents:read", "incidents:write")
    with writes_nothing():
        response = api.patch(
            f"/api/v1/incidents/{incident.pk}/", {"title": "Renamed"}, format="json"
        )
    assert response.status_code == 409
    assert "closed and read-only" in str(response.json())

    services.incident_change_status(
        incident=incident, actor=lead, status=Status.REVIEW, reason="New evidence turned up"
    )
    services.timeline_entry_add(incident=incident, actor=lead, body="Reopened for the new logs")


def test_only_crew_managers_are_offered_need_to_know(client, responder, incident):
    sign_in(client, responder)
    body = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert 'id="id_edit_restricted"' not in body
    # Posted anyway, the field is not part of the form: nothing changes.
    client.post(edit_url(incident), form_data(incident, restricted="on"))
    incident.refresh_from_db()
    assert incident.restricted is False
