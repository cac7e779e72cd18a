"""The audit hash chain: `manage.py verify_audit_chain` finds any changed, deleted or
inserted event; the table and the ORM refuse changes; concurrent writers never fork it."""

import io
import itertools
import json
import os
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

import audit
from audit.chain import HASHED_FIELDS, event_hash, leaf_hash
from audit.models import GENESIS_HASH, AuditEvent
from audit.sequencer import sequence_pending
from tests.conftest import assert_truncate_refused

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
TABLE = AuditEvent._meta.db_table
# Every trigger of the table but the foreign keys' own (pgtrigger's append-only guards).
TRIGGER = "USER"


def on_postgresql() -> bool:
    return connection.vendor == "postgresql"


def verify() -> str:
    """Run the command; its output when the chain is intact."""
    out = io.StringIO()
    call_command("verify_audit_chain", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def assert_broken_at(event_id: int) -> None:
    out = io.StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command("verify_audit_chain", stdout=out, stderr=io.StringIO())
    assert excinfo.value.returncode == 1
    assert str(event_id) in str(excinfo.value)
    assert out.getvalue().strip() == f"BROKEN {event_id}"


@contextmanager
def tampering():
    """A cursor for raw writes to the audit table. On PostgreSQL the trigger refuses
    UPDATE and DELETE, so an attacker who owns the table disables it first."""
    with connection.cursor() as cursor:
        if on_postgresql():
            # ALTER TABLE waits for no deferred foreign-key checks: run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER {TRIGGER}")
        try:
            yield cursor
        finally:
            if on_postgresql():
                cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER {TRIGGER}")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def next_position() -> int:
    last = AuditEvent.objects.order_by("-position").values_list("position", flat=True).first()
    return 0 if last is None else last + 1


def insert_raw_event(
    *,
    prev_hash: str,
    event_id: int | None = None,
    hash_: str | None = None,
    position: int | None = -1,
):
    """INSERT a sequenced-looking event behind the ORM's back, at the end of the log
    unless `position` says where (None: unsequenced); its hash is made up unless one is
    given, its leaf hash is its content's."""
    values = {
        "created_at": timezone.now(),
        "action": "member.updated",
        "outcome": "success",
        "actor_id": None,
        "actor_label": "mallory",
        "target_type_id": None,
        "target_id": "",
        "target_label": "",
        "data": {"role": "lead"},
        "request_id": "",
        "ip": None,
        "user_agent": "",
        "prev_hash": prev_hash,
    }
    values["hash"] = hash_ or event_hash(values)
    values["leaf_hash"] = leaf_hash(values)
    values["position"] = next_position() if position == -1 else position
    params = dict(values)
    params["created_at"] = connection.ops.adapt_datetimefield_value(values["created_at"])
    params["data"] = json.dumps(values["data"])
    if event_id is not None:
        params = {"id": event_id, **params}
    columns = ", ".join(params)
    placeholders = ", ".join(["%s"] * len(params))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} ({columns}) VALUES ({placeholders})",  # noqa: S608 - our names
            list(params.values()),
        )
    return values["hash"]


def skip_ids(count: int) -> None:
    """Leave a gap in the ids, as a rolled-back transaction does on PostgreSQL."""
    with connection.cursor() as cursor:
        if on_postgresql():
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, 'id'), "  # noqa: S608 - our names
                f"(SELECT MAX(id) FROM {TABLE}) + %s)",
                [TABLE, count],
            )
        else:
            cursor.execute(
                "UPDATE sqlite_sequence SET seq = seq + %s WHERE name = %s", [count, TABLE]
            )


@pytest.fixture
def events(make_incident, lead):
    """A chain of real events: people, a filing, an update, plain records."""
    incident = make_incident(reporter=lead, title="Credential stuffing", data_categories=["pii"])
    audit.record("test.note", actor=lead, target=incident, data={"n": 1, "text": "Zürich ✓"})
    audit.record("test.note", data={"n": 2, "nested": {"list": [1, "two", None]}})
    sequence_pending()
    return list(AuditEvent.objects.order_by("position"))


def middle(events) -> AuditEvent:
    return events[len(events) // 2]


# --- An intact chain --------------------------------------------------------------


def test_an_intact_chain_verifies_ok_with_its_event_count(events):
    assert verify().strip() == f"OK {len(events)} events"


def test_an_empty_log_verifies_ok():
    assert verify().strip() == f"OK {AuditEvent.objects.count()} events"


def test_each_event_links_to_the_one_before(events):
    assert events[0].prev_hash == GENESIS_HASH
    for before, after in itertools.pairwise(events):
        assert after.prev_hash == before.hash
    assert len({event.hash for event in events}) == len(events)


def test_an_event_hash_covers_every_hashed_field(events):
    event = middle(events)
    content = {name: getattr(event, name) for name in HASHED_FIELDS}
    assert event_hash(content) == event.hash
    for name in HASHED_FIELDS:
        changed = dict(content, **{name: f"{content[name]}x"})
        assert event_hash(changed) != event.hash, name


# --- Tampering is detected --------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("action", "test.harmless"),
        ("data", json.dumps({"role": "reporter"})),
        ("actor_label", "someone-else"),
        ("created_at", "2020-01-01 00:00:00"),
        ("ip", "192.0.2.66"),
    ],
)
def test_a_changed_event_is_detected(events, column, value):
    victim = middle(events)
    with tampering() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET {column} = %s WHERE id = %s", [value, victim.pk])  # noqa: S608
    assert_broken_at(victim.pk)


def test_a_deleted_event_is_detected_at_the_next_one(events):
    victim = middle(events)
    with tampering() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [victim.pk])  # noqa: S608
    assert_broken_at(events[events.index(victim) + 1].pk)


def test_a_deleted_first_event_is_detected(events):
    first = AuditEvent.objects.order_by("id").first()
    with tampering() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [first.pk])  # noqa: S608
    assert_broken_at(AuditEvent.objects.order_by("id").first().pk)


def test_an_inserted_event_with_a_made_up_hash_is_detected(events):
    insert_raw_event(prev_hash=events[-1].hash, hash_="f" * 64)
    forged = AuditEvent.objects.order_by("id").last()
    assert forged.actor_label == "mallory"
    assert_broken_at(forged.pk)


def test_a_well_formed_event_forged_into_the_middle_is_detected(events, lead):
    before_gap = AuditEvent.objects.order_by("id").last()
    skip_ids(5)
    after_gap = audit.record("test.after_gap", actor=lead)
    assert after_gap.pk > before_gap.pk + 1
    assert verify().strip().startswith("OK")

    # Its own hash is right and it links to its predecessor, at the position the next
    # event is moved off; the next event does not link to it.
    after_gap.refresh_from_db()
    with tampering() as cursor:
        cursor.execute(
            f"UPDATE {TABLE} SET position = position + 1 WHERE id = %s",  # noqa: S608
            [after_gap.pk],
        )
    insert_raw_event(
        prev_hash=before_gap.hash, event_id=before_gap.pk + 1, position=after_gap.position
    )

    assert_broken_at(after_gap.pk)


def test_a_rehashed_event_is_detected_at_the_next_one(events):
    victim = middle(events)
    content = {name: getattr(victim, name) for name in HASHED_FIELDS}
    content["action"] = "test.harmless"
    with tampering() as cursor:
        cursor.execute(
            f"UPDATE {TABLE} SET action = %s, hash = %s, leaf_hash = %s WHERE id = %s",  # noqa: S608
            [content["action"], event_hash(content), leaf_hash(content), victim.pk],
        )
    assert_broken_at(events[events.index(victim) + 1].pk)


# --- The database and the ORM refuse changes ---------------------------------------


@pytest.mark.parametrize(
    "statement",
    [f"UPDATE {TABLE} SET action = 'x' WHERE id = %s", f"DELETE FROM {TABLE} WHERE id = %s"],  # noqa: S608
    ids=["update", "delete"],
)
def test_postgresql_refuses_update_and_delete_of_audit_rows(events, statement):
    if not on_postgresql():
        pytest.skip("the append-only trigger exists on PostgreSQL only")
    victim = middle(events)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement, [victim.pk])
    assert AuditEvent.objects.get(pk=victim.pk).action == victim.action
    assert verify().strip().startswith("OK")


def test_postgresql_refuses_truncate_of_the_audit_table(events):
    if not on_postgresql():
        pytest.skip("the append-only trigger exists on PostgreSQL only")
    assert_truncate_refused(TABLE)
    assert AuditEvent.objects.count() == len(events)
    assert verify().strip() == f"OK {len(events)} events"


def test_the_orm_refuses_to_save_an_existing_event(events):
    event = middle(events)
    event.action = "test.harmless"
    with pytest.raises(TypeError, match="append-only"):
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).action != "test.harmless"


def test_the_orm_refuses_to_delete_an_event(events):
    with pytest.raises(TypeError, match="append-only"):
        middle(events).delete()


@pytest.mark.parametrize(
    "write",
    [
        lambda: AuditEvent.objects.filter(action__startswith="test.").update(action="x"),
        lambda: AuditEvent.objects.all().delete(),
        lambda: AuditEvent._base_manager.filter(action__startswith="test.").update(action="x"),
        lambda: AuditEvent._base_manager.all().delete(),
        lambda: AuditEvent.objects.bulk_update(list(AuditEvent.objects.all()), ["action"]),
    ],
    ids=["update", "delete", "base-manager-update", "base-manager-delete", "bulk-update"],
)
def test_the_orm_refuses_bulk_changes(events, write):
    with pytest.raises(TypeError, match="append-only"), transaction.atomic():
        write()
    assert AuditEvent.objects.count() >= len(events)
    assert verify().strip().startswith("OK")


# --- Concurrency and the command itself ----------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_never_fork_the_chain():
    if not on_postgresql():
        pytest.skip("needs PostgreSQL: SQLite serialises writers, so appends never overlap")
    writers, per_writer = 4, 25
    prior = AuditEvent.objects.count()
    barrier = threading.Barrier(writers)
    errors = []

    def write(writer):
        try:
            barrier.wait(timeout=10)
            for n in range(per_writer):
                audit.record("test.concurrent", data={"writer": writer, "n": n})
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors, errors
    total = prior + writers * per_writer
    assert verify().strip() == f"OK {total} events"
    prev_hashes = list(AuditEvent.objects.values_list("prev_hash", flat=True))
    assert len(prev_hashes) == total
    assert len(set(prev_hashes)) == total


@pytest.mark.django_db(transaction=True)
def test_the_command_exits_0_when_intact_and_1_with_the_bad_id_when_broken(lead):
    if not on_postgresql():
        pytest.skip("another process can reach the test database only on PostgreSQL")
    audit.record("test.one", actor=lead)
    victim = audit.record("test.two", actor=lead)
    audit.record("test.three", actor=lead)
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        ),
    }

    def run():
        return subprocess.run(
            [sys.executable, "manage.py", "verify_audit_chain"],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )

    intact = run()
    assert intact.returncode == 0, intact.stderr
    assert intact.stdout.strip() == f"OK {AuditEvent.objects.count()} events"

    with tampering() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET action = 'test.harmless' WHERE id = %s", [victim.pk])  # noqa: S608
    broken = run()
    assert broken.returncode == 1
    assert str(victim.pk) in broken.stdout + broken.stderr
