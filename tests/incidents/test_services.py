"""incidents.services: each write checks the actor, validates, saves in one transaction
and records its audit event; references stay unique under concurrent filing."""

import itertools
import re
import threading
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from accounts.roles import Role
from audit.models import AuditEvent
from incidents import services
from incidents.lifecycle import (
    ORDER,
    IllegalTransition,
    ReasonRequired,
    Status,
    check_transition,
    next_statuses,
)
from incidents.models import ContainmentState, CrewRole, EntryKind, Incident, TimelineEntry
from tests.incidents.review_helpers import complete_review

pytestmark = pytest.mark.django_db


def audit_actions_since(event_id) -> list[str]:
    return list(
        AuditEvent.objects.filter(id__gt=event_id)
        .exclude(action__startswith="model.")
        .values_list("action", flat=True)
    )


def newest_event_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


# --- The lifecycle table ----------------------------------------------------------------


def test_every_status_can_go_one_step_forward_and_back_with_a_reason():
    for current, following in itertools.pairwise(ORDER):
        check_transition(current, following, "")
        check_transition(following, current, "Found more")
        with pytest.raises(ReasonRequired):
            check_transition(following, current, "   ")


def test_any_other_change_is_illegal():
    for current in ORDER:
        for target in ORDER:
            if target in next_statuses(current):
                continue
            with pytest.raises(IllegalTransition):
                check_transition(current, target, "a reason does not help")


def test_the_ends_of_the_lifecycle_have_one_neighbour():
    assert next_statuses(Status.NEW) == [Status.TRIAGE]
    assert next_statuses(Status.CLOSED) == [Status.REVIEW]


# --- Filing ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.LEAD, Role.RESPONDER, Role.REPORTER])
def test_these_roles_may_file(make_member, role):
    person = make_member(role)
    incident = services.incident_file(reporter=person, title="Seen something", severity="low")
    assert incident.status == Status.NEW
    assert incident.reporter == person


@pytest.mark.parametrize("role", [Role.MANAGER, Role.LEGAL, Role.AUDITOR])
def test_these_roles_may_not_file_and_nothing_is_written(make_member, role):
    person = make_member(role)
    before = newest_event_id()
    with pytest.raises(PermissionDenied):
        services.incident_file(reporter=person, title="Seen something", severity="low")
    assert not Incident.objects.exists()
    assert newest_event_id() == before


def test_filing_writes_an_opening_timeline_entry_and_the_event(responder):
    before = newest_event_id()
    incident = services.incident_file(reporter=responder, title="Bad login", severity="critical")
    (entry,) = incident.timeline.all()
    assert entry.kind == EntryKind.STATUS_CHANGE
    assert "critical" in entry.body
    assert audit_actions_since(before) == ["incident.filed"]


def test_filing_refuses_fields_it_does_not_know(responder):
    with pytest.raises(TypeError, match="status"):
        services.incident_file(reporter=responder, title="x", severity="low", status="closed")
    assert not Incident.objects.exists()


def test_an_invalid_filing_does_not_use_up_a_reference(responder):
    with pytest.raises(ValidationError):
        services.incident_file(reporter=responder, title="x", severity="apocalyptic")
    first = services.incident_file(reporter=responder, title="x", severity="low")
    assert first.reference.endswith("-0001")


def test_a_reference_is_the_year_and_a_number(responder):
    incident = services.incident_file(reporter=responder, title="x", severity="low")
    assert re.match(rf"^INC-{incident.created_at.year}-\d{{4,}}$", incident.reference)


def test_aware_at_may_not_precede_discovery(responder):
    discovered = timezone.now() - timedelta(hours=2)
    with pytest.raises(ValidationError) as excinfo:
        services.incident_file(
            reporter=responder,
            title="x",
            severity="low",
            discovered_at=discovered,
            aware_at=discovered - timedelta(hours=1),
        )
    assert "aware_at" in excinfo.value.message_dict


def test_a_small_clock_skew_is_tolerated(responder):
    incident = services.incident_file(
        reporter=responder,
        title="x",
        severity="low",
        aware_at=timezone.now() + timedelta(minutes=2),
    )
    assert incident.pk


def _file_concurrently(people, per_person):
    barrier = threading.Barrier(len(people))
    references, errors = [], []

    def file(person):
        try:
            barrier.wait(timeout=10)
            for n in range(per_person):
                incident = services.incident_file(
                    reporter=person, title=f"{person.username} {n}", severity="low"
                )
                references.append(incident.reference)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=file, args=(person,)) for person in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return references


@pytest.mark.django_db(transaction=True)
def test_concurrent_filings_get_unique_contiguous_references(make_member):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers, so filings never overlap")
    people = [make_member(Role.RESPONDER, username=f"filer{n}") for n in range(4)]

    references = _file_concurrently(people, per_person=10)

    assert len(references) == len(set(references)) == 40
    numbers = sorted(int(reference.rsplit("-", 1)[1]) for reference in references)
    assert numbers == list(range(1, 41))
    assert Incident.objects.count() == 40


# --- Facts and status ----------------------------------------------------------------------


def test_an_update_changes_the_facts_and_records_the_field_names(incident, responder):
    before = newest_event_id()
    services.incident_update(incident=incident, actor=responder, severity="critical")
    incident.refresh_from_db()
    assert incident.severity == "critical"
    # Raising the severity is an event of its own (tests/incidents/test_notifications.py).
    assert audit_actions_since(before) == ["incident.updated", "incident.severity_raised"]
    assert AuditEvent.objects.filter(action="incident.updated").get().data == {
        "fields": ["severity"]
    }


def test_an_update_cannot_touch_the_status_or_reference(incident, responder):
    for field in ("status", "reference", "reporter"):
        with pytest.raises(TypeError):
            services.incident_update(incident=incident, actor=responder, **{field: "x"})


@pytest.mark.parametrize("role", [Role.REPORTER, Role.MANAGER, Role.AUDITOR])
def test_only_responders_and_leads_change_incidents(make_member, incident, role):
    person = make_member(role)
    with pytest.raises(PermissionDenied):
        services.incident_update(incident=incident, actor=person, title="x")
    with pytest.raises(PermissionDenied):
        services.incident_change_status(incident=incident, actor=person, status=Status.TRIAGE)
    incident.refresh_from_db()
    assert (incident.title, incident.status) != ("x", Status.TRIAGE)


def test_a_deactivated_responder_changes_nothing(incident, responder):
    responder.is_active = False
    responder.save()
    with pytest.raises(PermissionDenied):
        services.incident_change_status(incident=incident, actor=responder, status=Status.TRIAGE)


def test_an_illegal_status_change_writes_nothing(incident, responder):
    before, entries = newest_event_id(), TimelineEntry.objects.count()
    with pytest.raises(IllegalTransition):
        services.incident_change_status(incident=incident, actor=responder, status=Status.CLOSED)
    incident.refresh_from_db()
    assert incident.status == Status.NEW
    assert newest_event_id() == before
    assert TimelineEntry.objects.count() == entries


def test_reopening_a_closed_incident_clears_resolved_at(incident, responder):
    for status in ORDER[1:]:
        if status == Status.CLOSED:  # a high incident closes with a completed review
            complete_review(incident, responder)
        incident = services.incident_change_status(
            incident=incident, actor=responder, status=status
        )
    assert incident.resolved_at is not None
    incident = services.incident_change_status(
        incident=incident, actor=responder, status=Status.REVIEW, reason="Missed a host"
    )
    assert incident.resolved_at is None
    event = AuditEvent.objects.filter(action="incident.status_changed").last()
    assert event.data == {"from": "closed", "to": "review", "reason": "Missed a host"}


def test_going_back_to_containment_clears_contained_at(incident, responder):
    for status in (Status.TRIAGE, Status.CONTAINMENT, Status.ERADICATION):
        incident = services.incident_change_status(
            incident=incident, actor=responder, status=status
        )
    assert incident.contained_at is not None
    incident = services.incident_change_status(
        incident=incident, actor=responder, status=Status.CONTAINMENT, reason="Beacon is back"
    )
    assert incident.contained_at is None


# --- Crew, timeline, systems, tasks -----------------------------------------------------------


def test_only_leads_and_the_commander_manage_the_crew(incident, lead, responder, make_member):
    other = make_member(Role.RESPONDER)
    with pytest.raises(PermissionDenied):
        services.crew_add(incident=incident, actor=responder, user=other)
    services.crew_add(incident=incident, actor=lead, user=responder, role=CrewRole.COMMANDER)
    member = services.crew_add(incident=incident, actor=responder, user=other)
    assert member.added_by == responder


def test_only_csirt_members_join_a_crew(incident, lead, reporter):
    with pytest.raises(ValidationError, match="CSIRT"):
        services.crew_add(incident=incident, actor=lead, user=reporter)
    assert not incident.crew.exists()


def test_nobody_is_on_a_crew_twice(incident, lead, responder):
    services.crew_add(incident=incident, actor=lead, user=responder)
    with pytest.raises(ValidationError, match="already"):
        services.crew_add(incident=incident, actor=lead, user=responder)


def test_a_status_change_cannot_be_written_as_a_timeline_note(incident, responder):
    with pytest.raises(ValidationError):
        services.timeline_entry_add(
            incident=incident, actor=responder, body="Closed", kind=EntryKind.STATUS_CHANGE
        )


def test_a_timeline_entry_cannot_be_in_the_future(incident, responder):
    with pytest.raises(ValidationError):
        services.timeline_entry_add(
            incident=incident,
            actor=responder,
            body="Will happen",
            occurred_at=timezone.now() + timedelta(hours=1),
        )


def test_containment_changes_keep_their_history(incident, responder):
    system = services.system_add(incident=incident, actor=responder, name="www1")
    services.system_change_containment(
        system=system, actor=responder, state=ContainmentState.ISOLATED, note="VLAN 999"
    )
    services.system_change_containment(
        system=system, actor=responder, state=ContainmentState.ISOLATED
    )
    system.refresh_from_db()
    assert system.containment_state == ContainmentState.ISOLATED
    assert [(h.from_state, h.to_state) for h in system.history.all()] == [
        (ContainmentState.ONLINE, ContainmentState.ISOLATED)
    ]


def test_an_impact_cannot_end_before_it_started(incident, responder):
    now = timezone.now()
    with pytest.raises(ValidationError, match="impact"):
        services.system_add(
            incident=incident,
            actor=responder,
            name="db1",
            impact_start=now,
            impact_end=now - timedelta(hours=1),
        )


def test_the_assignee_may_tick_off_their_task(incident, lead, make_member):
    legal = make_member(Role.LEGAL)
    task = services.task_add(incident=incident, actor=lead, title="Notify DPA", assignee=legal)
    services.task_set_done(task=task, actor=legal, done=True)
    task.refresh_from_db()
    assert task.done
    assert task.done_at is not None
