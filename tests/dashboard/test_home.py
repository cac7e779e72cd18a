"""The overview page: open incidents the person may see, and the regulatory clocks running."""

from datetime import timedelta

import pytest
from django.utils import timezone

from disclosures import services as disclosure_services
from tests.conftest import sign_in
from tests.factories import fill_blanks

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


# --- Need-to-know in every list and every count -----------------------------------

PAGE = "/"


@pytest.fixture
def two_cases(lead, responder, store_evidence, make_action_item, make_incident):
    """An open case and a restricted one that the responder does not crew, each with a
    task and an action item for the responder, an integrity failure and a disclosure
    in review."""
    from incidents import services as incident_services

    cases = {}
    for name, restricted, severity in (("open", False, "high"), ("secret", True, "critical")):
        incident = make_incident(
            reporter=lead,
            restricted=restricted,
            severity=severity,
            title=f"Case {name} zebra",
        )
        incident_services.task_add(
            incident=incident, actor=lead, title=f"Task {name}", assignee=responder
        )
        make_action_item(incident, responder, title=f"Action {name}")
        store_evidence(incident, lead, name.encode(), sender_sha256="0" * 64)
        disclosure = disclosure_services.disclosure_create(
            incident=incident, actor=lead, audience="regulator", regime="gdpr_art33"
        )
        fill_blanks(disclosure, lead)
        disclosure_services.disclosure_submit(disclosure=disclosure, actor=lead)
        cases[name] = incident
    incident_services.crew_add(incident=cases["open"], actor=lead, user=responder)
    incident_services.timeline_entry_add(
        incident=cases["open"], actor=lead, body="Isolated the open host"
    )
    return cases


def _counts(context):
    return {
        "open": context["open_count"],
        "matrix": context["matrix"]["total"],
        "critical": context["matrix"]["rows"][0]["total"],
        "tasks": context["my_tasks"].total,
        "action_items": context["my_action_items"].total,
        "integrity_failures": context["integrity_failures"].total,
        "clocks": len(context["clocks"]),
    }


def test_a_restricted_incident_out_of_sight_is_in_no_list_and_no_count(
    client, lead, responder, two_cases
):
    secret = two_cases["secret"]
    sign_in(client, responder)
    response = client.get(PAGE)
    page = response.content.decode()
    assert secret.reference not in page
    assert "Case secret" not in page
    assert "Task secret" not in page
    assert "Action secret" not in page
    assert _counts(response.context) == {
        "open": 1,
        "matrix": 1,
        "critical": 0,
        "tasks": 1,
        "action_items": 1,
        "integrity_failures": 1,
        "clocks": 1,
    }
    assert [task.title for task in response.context["my_tasks"].rows] == ["Task open"]
    assert [item.title for item in response.context["my_action_items"].rows] == ["Action open"]
    entries = response.context["crew_activity"]
    assert entries and {entry.incident_id for entry in entries} == {two_cases["open"].pk}
    assert "Isolated the open host" in page

    # The same page for a lead counts both, restricted or not.
    client.logout()
    sign_in(client, lead)
    lead_counts = _counts(client.get(PAGE).context)
    assert lead_counts["open"] == lead_counts["matrix"] == 2
    assert lead_counts["critical"] == 1
    assert lead_counts["integrity_failures"] == 2
    assert lead_counts["clocks"] == 2


def test_a_manager_sees_what_waits_for_approval_only_where_they_may_look(
    client, manager, two_cases
):
    sign_in(client, manager)
    response = client.get(PAGE)
    waiting = response.context["awaiting_approval"]
    assert waiting.total == 1
    assert [d.incident_id for d in waiting.rows] == [two_cases["open"].pk]
    assert "Waiting for my approval (1)" in response.content.decode()


def test_an_approval_already_given_no_longer_waits(client, manager, two_cases):
    from disclosures.selectors import disclosure_list

    (disclosure,) = disclosure_list(user=manager, incident=two_cases["open"])
    disclosure_services.disclosure_approve(disclosure=disclosure, actor=manager)
    sign_in(client, manager)
    assert client.get(PAGE).context["awaiting_approval"].total == 0


def test_a_version_approved_in_my_role_by_someone_else_no_longer_waits_for_me(
    client, settings, manager, make_member, two_cases
):
    from disclosures.selectors import disclosure_list

    settings.DISCLOSURE_REQUIRE_LEGAL_APPROVAL = True
    (disclosure,) = disclosure_list(user=manager, incident=two_cases["open"])
    disclosure_services.disclosure_approve(disclosure=disclosure, actor=manager)
    other_manager = make_member("manager", username="max")
    lawyer = make_member("legal", username="lena")
    sign_in(client, other_manager)
    assert client.get(PAGE).context["awaiting_approval"].total == 0  # still in review
    client.logout()
    sign_in(client, lawyer)
    waiting = client.get(PAGE).context["awaiting_approval"]
    assert [d.pk for d in waiting.rows] == [disclosure.pk]


def test_legal_has_nothing_to_approve_where_legal_approval_is_off(
    client, settings, make_member, two_cases
):
    settings.DISCLOSURE_REQUIRE_LEGAL_APPROVAL = False
    sign_in(client, make_member("legal", username="lena"))
    response = client.get(PAGE)
    assert response.context["awaiting_approval"] is None
    assert "Waiting for my approval" not in response.content.decode()


def test_people_who_approve_nothing_have_no_approval_list(client, responder, two_cases):
    sign_in(client, responder)
    response = client.get(PAGE)
    assert response.context["awaiting_approval"] is None
    assert "Waiting for my approval" not in response.content.decode()


# --- A fixed number of queries --------------------------------------------------


def _fill(lead, responder, make_incident, make_action_item, store_evidence, count, offset):
    from incidents import services as incident_services

    for number in range(count):
        incident = make_incident(
            reporter=lead, restricted=number % 2 == 0, title=f"Load {offset + number}"
        )
        incident_services.task_add(incident=incident, actor=lead, title="Look", assignee=lead)
        incident_services.timeline_entry_add(incident=incident, actor=lead, body="Seen")
        make_action_item(incident, lead)
        store_evidence(incident, lead, f"{offset + number}".encode(), sender_sha256="0" * 64)
        disclosure_services.disclosure_create(
            incident=incident, actor=lead, audience="regulator", regime="gdpr_art33"
        )
        if number % 2:
            incident_services.crew_add(incident=incident, actor=lead, user=responder)


@pytest.mark.parametrize("viewer", ["lead", "responder"])
def test_the_overview_runs_the_same_few_queries_for_more_data(
    client,
    lead,
    responder,
    make_incident,
    make_action_item,
    store_evidence,
    viewer,
    django_assert_max_num_queries,
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = {"lead": lead, "responder": responder}[viewer]
    sign_in(client, user)
    _fill(lead, responder, make_incident, make_action_item, store_evidence, 2, 0)
    client.get(PAGE)  # warm: session and permission caches
    with CaptureQueriesContext(connection) as few:
        assert client.get(PAGE).status_code == 200
    _fill(lead, responder, make_incident, make_action_item, store_evidence, 8, 100)
    with django_assert_max_num_queries(MAX_HOME_QUERIES):
        assert client.get(PAGE).status_code == 200
    with CaptureQueriesContext(connection) as many:
        client.get(PAGE)
    assert len(many) == len(few)


# 20 today (session, person, device, permissions, the bell's unread count and its
# need-to-know gate, then one per list or count); the "and N more" counts add at most
# four when a list is full.
MAX_HOME_QUERIES = 24


@pytest.mark.parametrize(("role_fixture", "shown"), [("responder", True), ("reporter", False)])
def test_the_main_navigation_offers_metrics_and_action_items_to_csirt_members(
    client, request, role_fixture, shown
):
    sign_in(client, request.getfixturevalue(role_fixture))
    page = client.get("/").content.decode()
    assert ('href="/metrics/"' in page) is shown
    assert ('href="/incidents/action-items/"' in page) is shown


def test_a_fresh_short_clock_is_not_pushed_out_by_many_older_slower_ones(
    client, lead, make_incident, monkeypatch
):
    monkeypatch.setattr("dashboard.selectors.CLOCK_DISCLOSURE_LIMIT", 2)
    now = timezone.now()
    for days in (30, 20, 10):
        old = make_incident(reporter=lead, aware_at=now - timedelta(days=days))
        disclosure_services.disclosure_create(
            incident=old, actor=lead, audience="regulator", regime="hipaa"
        )
    fresh = make_incident(reporter=lead, aware_at=now - timedelta(hours=2))
    nis2 = disclosure_services.disclosure_create(
        incident=fresh, actor=lead, audience="regulator", regime="nis2"
    )
    sign_in(client, lead)
    clocks = client.get("/").context["clocks"]
    assert nis2 in [row["disclosure"] for row in clocks]
    # per regime, the oldest awareness first: two HIPAA notices of the three
    assert sum(row["disclosure"].regime == "hipaa" for row in clocks if row["deadline"].due_at) >= 2
