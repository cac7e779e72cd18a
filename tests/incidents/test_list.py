"""The incident list as people work it: owner and last activity columns, sorting by a
whitelist of keys (anything else is a 400, never a 500), the built-in filters ("mine",
"open high and critical") and each person's own saved filters."""

import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.roles import Role
from incidents import services
from incidents.lifecycle import Status
from incidents.listing import SORT_COLUMNS
from incidents.models import CrewRole, Incident, SavedFilter
from tests.conftest import sign_in
from tests.writes import writes_nothing

pytestmark = pytest.mark.django_db

UNPROCESSABLE = 422


def references(response) -> list[str]:
    return re.findall(r'class="reference">(INC-\d{4}-\d+)<', response.content.decode())


@pytest.fixture
def lead_client(client, lead):
    sign_in(client, lead)
    return client


def test_owner_is_the_commander_or_else_the_reporter(lead_client, lead, make_incident):
    led = make_incident(reporter=lead, title="With a commander")
    make_incident(reporter=lead, title="Without")
    services.crew_add(incident=led, actor=lead, user=lead, role=CrewRole.COMMANDER)
    body = lead_client.get("/incidents/").content.decode()
    assert "Owner" in body and "Last activity" in body
    assert body.count(f'{lead.username} <span class="muted">(reporter)</span>') == 1
    assert f"<td>{lead.username}</td>" in body


def test_last_activity_is_the_latest_timeline_entry(lead_client, lead, make_incident):
    with time_machine.travel("2026-01-05 08:00Z", tick=False):
        quiet = make_incident(reporter=lead, title="Quiet")
        busy = make_incident(reporter=lead, title="Busy")
    with time_machine.travel("2026-01-07 09:30Z", tick=False):
        services.timeline_entry_add(incident=busy, actor=lead, body="Blocked the C2 domain.")
    response = lead_client.get("/incidents/", {"sort": "-activity"})
    assert references(response) == [busy.reference, quiet.reference]
    assert "2026-01-07 09:30 UTC" in response.content.decode()
    response = lead_client.get("/incidents/", {"sort": "activity"})
    assert references(response) == [quiet.reference, busy.reference]


def test_sorting_by_severity_follows_its_order_not_the_alphabet(lead_client, lead, make_incident):
    made = {
        severity: make_incident(reporter=lead, severity=severity)
        for severity in ("medium", "critical", "low", "high")
    }
    response = lead_client.get("/incidents/", {"sort": "-severity"})
    assert response.status_code == 200
    order = ["critical", "high", "medium", "low"]
    assert references(response) == [made[severity].reference for severity in order]
    assert 'aria-sort="descending"' in response.content.decode()


@pytest.mark.parametrize("key", sorted(SORT_COLUMNS))
def test_every_sort_key_both_ways_answers(lead_client, incident, key):
    for sort in (key, f"-{key}"):
        response = lead_client.get("/incidents/", {"sort": sort})
        assert response.status_code == 200
        assert references(response) == [incident.reference]


@pytest.mark.parametrize(
    "sort", ["password", "reporter__password", "-id; DROP TABLE x", "title,id", "--title", ""]
)
def test_an_unknown_sort_key_is_400_and_the_default_order(lead_client, lead, make_incident, sort):
    first = make_incident(reporter=lead)
    second = make_incident(reporter=lead)
    response = lead_client.get("/incidents/", {"sort": sort})
    if sort == "":
        assert response.status_code == 200
    else:
        assert response.status_code == 400
        assert "Order" in response.content.decode()
    assert references(response) == [second.reference, first.reference]


def test_mine_is_what_i_filed_crew_or_hold_a_task_in(client, responder, lead, make_incident):
    filed = make_incident(reporter=responder, title="Filed by me")
    crewed = make_incident(reporter=lead, title="I crew it")
    services.crew_add(incident=crewed, actor=lead, user=responder)
    tasked = make_incident(reporter=lead, title="My task")
    services.task_add(incident=tasked, actor=lead, title="Check logs", assignee=responder)
    other = make_incident(reporter=lead, title="Not mine")
    sign_in(client, responder)
    response = client.get("/incidents/", {"mine": "1"})
    found = references(response)
    assert sorted(found) == sorted([filed.reference, crewed.reference, tasked.reference])
    assert other.reference not in found
    assert len(found) == len(set(found))  # no incident twice through its joins


def test_open_high_and_critical(lead_client, lead, make_incident):
    high = make_incident(reporter=lead, severity="high")
    critical = make_incident(reporter=lead, severity="critical")
    make_incident(reporter=lead, severity="medium")
    closed = make_incident(reporter=lead, severity="critical")
    Incident.objects.filter(pk=closed.pk).update(status=Status.CLOSED)
    response = lead_client.get("/incidents/?status=open&severity=high_up")
    assert sorted(references(response)) == sorted([high.reference, critical.reference])
    assert 'aria-current="true">Open high and critical<' in response.content.decode()


def test_mine_never_shows_what_the_person_may_not_see(client, responder, lead, make_incident):
    hidden = make_incident(reporter=lead, restricted=True)
    services.task_add(incident=hidden, actor=lead, title="Lead's own task", assignee=lead)
    sign_in(client, responder)
    assert hidden.reference not in references(client.get("/incidents/", {"mine": "1"}))


def test_saving_a_filter_keeps_only_what_the_list_accepts(lead_client, lead, make_incident):
    make_incident(reporter=lead)
    response = lead_client.post(
        "/incidents/filters/",
        {"name": "Critical ones", "query": "severity=critical&sort=-activity&evil=1&status=nope"},
    )
    assert response.status_code == 302
    saved = SavedFilter.objects.get(owner=lead)
    assert saved.name == "Critical ones"
    assert saved.query == "severity=critical&sort=-activity"
    assert response["Location"] == "/incidents/?severity=critical&sort=-activity"
    body = lead_client.get("/incidents/?severity=critical&sort=-activity").content.decode()
    assert 'aria-current="true">Critical ones<' in body


def test_a_saved_filter_without_a_name_is_refused_at_its_field(lead_client, lead):
    with writes_nothing():
        response = lead_client.post("/incidents/filters/", {"name": "", "query": "status=new"})
    assert response.status_code == UNPROCESSABLE
    body = response.content.decode()
    assert 'id="save-filter" open' in body and 'aria-invalid="true"' in body


def test_saved_filters_are_per_person(client, lead, responder):
    services.saved_filter_save(owner=lead, name="Lead's view", query="status=new")
    sign_in(client, responder)
    assert "Lead&#x27;s view" not in client.get("/incidents/").content.decode()
    theirs = SavedFilter.objects.get(owner=lead)
    with writes_nothing():
        response = client.post(f"/incidents/filters/{theirs.pk}/delete/")
    assert response.status_code == 404


def test_deleting_ones_own_saved_filter(lead_client, lead):
    saved = services.saved_filter_save(owner=lead, name="Mine too", query="mine=1")
    response = lead_client.post(f"/incidents/filters/{saved.pk}/delete/")
    assert response.status_code == 302
    assert not SavedFilter.objects.filter(pk=saved.pk).exists()


def test_the_list_query_count_does_not_grow_with_the_page(lead_client, lead, make_member):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert lead_client.get("/incidents/", {"sort": "-activity"}).status_code == 200
        return len(queries)

    def add(number: int) -> None:
        for index in range(number):
            filer = make_member(Role.RESPONDER, username=f"filer{Incident.objects.count()}")
            incident = services.incident_file(reporter=filer, title=f"Case {index}", severity="low")
            services.crew_add(incident=incident, actor=lead, user=filer, role=CrewRole.COMMANDER)
            services.timeline_entry_add(incident=incident, actor=lead, body="Looked at it.")

    add(2)
    few = count()
    add(20)
    assert count() == few
