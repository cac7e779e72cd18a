"""Check-then-insert paths that lose a race answer like the check does, never a 500."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction

from accounts.roles import Role
from incidents import services
from incidents.models import CrewMember
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("two writers at once need PostgreSQL (SQLite serialises them)")


def _insert_and_hold(incident, user, actor, ready, release):
    """Another request's transaction: it has inserted the crew row but not committed yet."""
    try:
        with transaction.atomic():
            CrewMember.objects.create(incident=incident, user=user, added_by=actor)
            ready.set()
            release.wait(10)
    finally:
        connections.close_all()


def _wait_until_someone_waits_on_a_lock():
    """Return once another connection is blocked on a lock (the insert on the unique
    index), so the test really has two writers racing."""
    from tests.conftest import wait_for

    def waiting():
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
            return cursor.fetchone()[0]

    wait_for(waiting, timeout=10, interval=0.02)


def _in_thread(target, *args):
    outcome = {}

    def run():
        try:
            outcome["value"] = target(*args)
        except Exception as error:  # handed back to the test
            outcome["error"] = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def test_adding_the_same_crew_member_twice_at_once_is_a_form_error(
    postgres_only, lead, make_member, make_incident
):
    incident = make_incident(reporter=lead)
    person = make_member(Role.RESPONDER, username="twice")
    ready, release = threading.Event(), threading.Event()
    holder = threading.Thread(
        target=_insert_and_hold, args=(incident, person, lead, ready, release)
    )
    holder.start()
    assert ready.wait(10)
    # This one passes the "already there?" check (the other row is not committed) and
    # then waits on the unique index until the other transaction commits.
    adder, outcome = _in_thread(
        lambda: services.crew_add(incident=incident, actor=lead, user=person)
    )
    _wait_until_someone_waits_on_a_lock()
    release.set()
    holder.join(10)
    adder.join(10)
    assert isinstance(outcome.get("error"), ValidationError), outcome
    assert outcome["error"].message_dict == {"user": ["This person is already on the crew."]}
    assert CrewMember.objects.filter(incident=incident, user=person).count() == 1


def test_the_crew_form_shows_the_lost_race_as_a_field_error(
    postgres_only, client, lead, make_member, make_incident
):
    incident = make_incident(reporter=lead)
    person = make_member(Role.RESPONDER, username="twice")
    sign_in(client, lead)
    ready, release = threading.Event(), threading.Event()
    holder = threading.Thread(
        target=_insert_and_hold, args=(incident, person, lead, ready, release)
    )
    holder.start()
    assert ready.wait(10)
    poster, outcome = _in_thread(
        lambda: client.post(
            f"/incidents/{incident.pk}/crew/", {"username": person.username, "role": "responder"}
        )
    )
    _wait_until_someone_waits_on_a_lock()
    release.set()
    holder.join(10)
    poster.join(10)
    response = outcome["value"]
    assert response.status_code == 422, response.status_code
    assert "already on the crew" in response.content.decode()
