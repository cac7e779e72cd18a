"""Pages whose lists grow cost the same number of queries for one row as for ten.

Each case builds a page's data with `rows` entries in every list the page shows, then
counts the statements one GET runs. A query per row (N+1) makes the counts differ.
"""

import datetime as dt
import hashlib
import secrets

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

import audit
from accounts.roles import Role
from disclosures import services as disclosure_services
from disclosures.models import Audience, Regime
from evidence.models import Action, CustodyEvent, EvidenceItem
from incidents import services as incident_services
from incidents.lifecycle import Status
from incidents.models import ContainmentState, ReviewSectionKind
from tests.conftest import sign_in
from tests.factories import issue_token
from tests.incidents.test_review import NEXT_WEEK, section, walk_to

pytestmark = pytest.mark.django_db


def _incident_with(rows, *, lead, make_member, make_incident):
    incident = make_incident(reporter=lead)
    for number in range(rows):
        person = make_member(Role.RESPONDER, username=f"crew{number}")
        incident_services.crew_add(incident=incident, actor=lead, user=person)
        system = incident_services.system_add(incident=incident, actor=lead, name=f"web-{number}")
        for state in (ContainmentState.ISOLATED, ContainmentState.SHUT_DOWN):
            incident_services.system_change_containment(system=system, actor=person, state=state)
        incident_services.timeline_entry_add(incident=incident, actor=person, body=f"note {number}")
        incident_services.task_add(
            incident=incident,
            actor=lead,
            title=f"task {number}",
            assignee=person,
            due_date=dt.date.today(),
        )
    return incident


def _incident_page(rows, *, lead, make_member, make_incident):
    incident = _incident_with(rows, lead=lead, make_member=make_member, make_incident=make_incident)
    return f"/incidents/{incident.pk}/"


def _incident_page_with_observables(rows, *, lead, make_member, make_incident):
    """The incident page with 20 x rows observables (200 at 10), each held by two other
    incidents as well: the section pages, correlates and counts in fixed queries."""
    from observables.services import ObservableInput, observables_add

    incident = make_incident(reporter=lead)
    others = [make_incident(reporter=lead) for _ in range(2)]
    values = [f"host{number}.evil.example" for number in range(20 * rows)]
    for target in (incident, *others):
        items = [ObservableInput(type="domain", value=value) for value in values]
        observables_add(incident=target, actor=lead, items=items)
    return f"/incidents/{incident.pk}/"


def _observable_search(rows, *, lead, make_member, make_incident):
    from observables.services import ObservableInput, observables_add

    for _ in range(rows):
        incident = make_incident(reporter=lead)
        items = [ObservableInput(type="domain", value="shared.evil.example")]
        observables_add(incident=incident, actor=lead, items=items)
    return "/observables/?q=shared.evil[.]example"


def _incident_list(rows, *, lead, make_member, make_incident):
    for number in range(rows):
        make_incident(reporter=make_member(Role.RESPONDER, username=f"filer{number}"))
    return "/incidents/"


def _dashboard(rows, *, lead, make_member, make_incident):
    _incident_with(rows, lead=lead, make_member=make_member, make_incident=make_incident)
    return "/"


def _evidence_page(rows, *, lead, make_member, make_incident):
    incident = make_incident(reporter=lead)
    item = EvidenceItem.objects.create(
        incident=incident,
        collected_by=lead,
        original_name="dropper.bin",
        storage_key=secrets.token_hex(16),
        size=7,
        receipt_sha256=hashlib.sha256(b"malware").hexdigest(),
    )
    for number in range(rows):
        actor = make_member(Role.RESPONDER, username=f"handler{number}")
        CustodyEvent.objects.create(item=item, action=Action.TRANSFERRED, actor=actor)
    return f"/evidence/{item.pk}/"


def _disclosure_page(rows, *, lead, make_member, make_incident):
    incident = make_incident(reporter=lead)
    disclosure = disclosure_services.disclosure_create(
        incident=incident, actor=lead, audience=Audience.REGULATOR, regime=Regime.GDPR_ART33
    )
    for number in range(rows):
        author = make_member(Role.RESPONDER, username=f"writer{number}")
        disclosure_services.disclosure_edit(
            disclosure=disclosure, actor=author, body=f"Notice text, revision {number}."
        )
    return f"/disclosures/{disclosure.pk}/"


def _action_items(rows, *, lead, make_member, make_incident):
    incident = walk_to(make_incident(reporter=lead), Status.REVIEW, lead)
    for number in range(rows):
        incident_services.action_item_add(
            section=section(incident, ReviewSectionKind.MONITORING),
            actor=lead,
            title=f"Alert on {number}",
            owner=make_member(Role.RESPONDER, username=f"owner{number}"),
            due_date=NEXT_WEEK,
        )
    return "/incidents/action-items/"


def _audit_log(rows, *, lead, make_member, make_incident):
    incident = make_incident(reporter=lead)
    for number in range(rows):
        actor = make_member(Role.RESPONDER, username=f"actor{number}")
        audit.record("incident.viewed", actor=actor, target=incident, data={"n": number})
    return "/audit/"


def _security_page(rows, *, lead, make_member, make_incident):
    for _ in range(rows):
        issue_token(lead, "incidents:read")
    return "/accounts/security/"


def _intake_queue(rows, *, lead, make_member, make_incident):
    from intake.services import AlertInput, alerts_receive

    alerts_receive(
        sender=lead,
        items=[
            AlertInput(
                source=f"siem-{number}",
                title=f"Beacon from host {number}",
                severity="high",
                observables=[("ipv4", f"203.0.113.{number + 1}")],
            )
            for number in range(rows)
        ],
    )
    return "/intake/"


def _notifications_page(rows, *, lead, make_member, make_incident):
    from notifications.inapp import inapp_create

    for number in range(rows):
        incident = make_incident(reporter=lead)
        inapp_create(
            recipients=[lead],
            event="incident.filed",
            subject=f"{incident.reference} filed ({number})",
            link=f"/incidents/{incident.pk}/",
            about=incident,
        )
    return "/notifications/"


def _search_page(rows, *, lead, make_member, make_incident):
    for number in range(rows):
        incident = make_incident(reporter=lead)
        incident_services.timeline_entry_add(
            incident=incident, actor=lead, body=f"Lateral movement from 198.51.100.{number + 1}"
        )
    return "/search/?q=lateral"


def _task_page(rows, *, lead, make_member, make_incident):
    incident = make_incident(reporter=lead)
    task = incident_services.task_add(incident=incident, actor=lead, title="Rotate keys")
    for number in range(rows):
        person = make_member(Role.RESPONDER, username=f"commenter{number}")
        incident_services.crew_add(incident=incident, actor=lead, user=person)
        incident_services.task_comment_add(task=task, actor=person, body=f"comment {number}")
    return f"/incidents/{incident.pk}/tasks/{task.pk}/"


PAGES = {
    "incident page": _incident_page,
    "incident page with observables": _incident_page_with_observables,
    "observable search": _observable_search,
    "incident list": _incident_list,
    "dashboard": _dashboard,
    "evidence item page": _evidence_page,
    "disclosure page": _disclosure_page,
    "action items tracker": _action_items,
    "audit log": _audit_log,
    "security page": _security_page,
    "intake queue": _intake_queue,
    "notifications page": _notifications_page,
    "search page": _search_page,
    "task page": _task_page,
}


def _count(client, path) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return len(queries)


@pytest.mark.parametrize("page", list(PAGES))
def test_a_page_costs_the_same_queries_for_one_row_as_for_ten(
    client, lead, make_member, make_incident, page
):
    sign_in(client, lead)
    build = PAGES[page]
    counts = []
    for rows in (1, 10):
        path = build(rows, lead=lead, make_member=make_member, make_incident=make_incident)
        _count(client, path)  # a first view may write a one-off record (e.g. a session)
        counts.append(_count(client, path))
    assert counts[0] == counts[1], f"{page}: {counts[0]} queries with 1 row, {counts[1]} with 10"
