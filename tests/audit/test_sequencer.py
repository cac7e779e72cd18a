"""Appending takes no lock; the sequencer places committed events, one sequencer at a
time, with no gap or fork even when it dies mid-batch; the table refuses every change
but the sequencer's one fill; merge delay is measured and a stall raises the alarm."""

import threading
import time
from datetime import timedelta

import pytest
import time_machine
from django.db import DatabaseError, connection, connections, transaction
from django.utils import timezone

import audit
from audit import merkle, sequencer
from audit.models import GENESIS_HASH, AuditEvent, AuditTreeNode
from audit.proofs import inclusion_proof, root_at
from audit.sequencer import SEQUENCER_LOCK_KEY, merge_delay, sequence_pending, stored_nodes
from audit.tasks import audit_sequence
from notifications.models import Notification
from tests.audit import merkle_reference as ref
from tests.audit.test_chain import TABLE, verify

pytestmark = pytest.mark.django_db


def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("two connections at once need PostgreSQL")


def test_an_appended_event_has_its_leaf_hash_and_no_position_until_sequenced():
    event = audit.record("test.event", data={"n": 1})
    event.refresh_from_db()
    assert event.position is None and event.hash == "" and len(event.leaf_hash) == 64
    assert sequence_pending() == 1
    event.refresh_from_db()
    assert event.position == 0 and event.prev_hash == GENESIS_HASH and len(event.hash) == 64
    assert event.sequenced_at is not None


def test_positions_follow_commit_order_and_the_chain_and_tree_grow():
    for n in range(10):
        audit.record("test.event", data={"n": n})
    assert sequence_pending(batch_size=3) == 10
    events = list(AuditEvent.objects.order_by("position"))
    assert [event.position for event in events] == list(range(10))
    assert [event.prev_hash for event in events[1:]] == [event.hash for event in events[:-1]]
    leaves = [bytes.fromhex(event.leaf_hash) for event in events]
    nodes = stored_nodes({(3, 0), (1, 4), (0, 9)})
    assert nodes[(3, 0)] == ref.mth(leaves[:8])
    assert nodes[(1, 4)] == ref.mth(leaves[8:10])
    assert nodes[(0, 9)] == leaves[9]
    # Below STORED_FROM_LEVEL nothing is stored: those come from the leaves.
    assert not AuditTreeNode.objects.exists()
    assert verify().strip() == "OK 10 events"


def test_from_the_stored_level_up_every_completed_subtree_is_stored():
    for n in range(40):
        audit.record("test.event", data={"n": n})
    assert sequence_pending(batch_size=7) == 40
    leaves = [
        bytes.fromhex(leaf)
        for leaf in AuditEvent.objects.order_by("position").values_list("leaf_hash", flat=True)
    ]
    stored = {(node.level, node.index): bytes(node.hash) for node in AuditTreeNode.objects.all()}
    assert set(stored) == {(4, 0), (4, 1), (5, 0)}
    assert stored[(4, 1)] == ref.mth(leaves[16:32])
    assert stored[(5, 0)] == ref.mth(leaves[:32])
    assert root_at(40) == ref.mth(leaves)
    # A proof needing nodes of the levels not stored is still right.
    proof = inclusion_proof(event_id=AuditEvent.objects.get(position=37).pk, tree_size=40)
    assert merkle.root_from_inclusion(37, 40, leaves[37], proof.hashes) == ref.mth(leaves)
    assert verify().strip() == "OK 40 events"


def test_a_sequencer_killed_mid_batch_leaves_no_gap_or_fork(monkeypatch):
    for n in range(6):
        audit.record("test.event", data={"n": n})
    sequence_pending(batch_size=2, max_batches=1)
    real_write = sequencer._write

    def dies_after_the_update(updates, nodes):
        real_write(updates, [])  # the rows are updated, then the process dies
        raise DatabaseError("killed")

    monkeypatch.setattr(sequencer, "_write", dies_after_the_update)
    with pytest.raises(DatabaseError):
        sequence_pending()
    assert AuditEvent.objects.filter(position__isnull=False).count() == 2
    monkeypatch.setattr(sequencer, "_write", real_write)
    assert sequence_pending() == 4
    positions = list(AuditEvent.objects.order_by("position").values_list("position", flat=True))
    assert positions == list(range(6))
    assert verify().strip() == "OK 6 events"


@pytest.mark.django_db(transaction=True)
def test_a_second_sequencer_gives_up_at_once_instead_of_writing():
    postgresql_only()
    audit.record("test.event")
    held, release = threading.Event(), threading.Event()

    def hold_the_lock():
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SEQUENCER_LOCK_KEY])
                held.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    other = threading.Thread(target=hold_the_lock)
    other.start()
    try:
        assert held.wait(timeout=10)
        started = time.monotonic()
        assert sequence_pending() == 0
        assert time.monotonic() - started < 1
        assert not AuditEvent.objects.filter(position__isnull=False).exists()
    finally:
        release.set()
        other.join(timeout=30)
    assert sequence_pending() == 1


@pytest.mark.django_db(transaction=True)
def test_an_open_transaction_does_not_delay_another_audit_write():
    """Two connections: one appends and holds its transaction open; the other's audited
    write commits at once (no shared lock, no head read), and the late commit gets the
    later position."""
    postgresql_only()
    appended, release, outcome = threading.Event(), threading.Event(), {}

    def slow_writer():
        try:
            with transaction.atomic():
                outcome["slow"] = audit.record("test.slow").pk
                appended.set()
                release.wait(timeout=30)
        except Exception as error:  # handed to the test
            outcome["error"] = error
        finally:
            connections.close_all()

    other = threading.Thread(target=slow_writer)
    other.start()
    try:
        assert appended.wait(timeout=10)
        started = time.monotonic()
        with transaction.atomic():
            fast = audit.record("test.fast")
        waited = time.monotonic() - started
        assert waited < 0.5, f"the write waited {waited:.2f} s for the other transaction"
        assert sequence_pending() == 1  # only what has committed
    finally:
        release.set()
        other.join(timeout=30)
    assert "error" not in outcome
    assert sequence_pending() == 1
    fast.refresh_from_db()
    slow = AuditEvent.objects.get(pk=outcome["slow"])
    assert slow.pk < fast.pk  # the earlier id, yet the later commit: the later position
    assert (fast.position, slow.position) == (0, 1)
    assert verify().strip() == "OK 2 events"


@pytest.mark.parametrize(
    "statement",
    [
        f"UPDATE {TABLE} SET action = 'x' WHERE id = %s",  # noqa: S608
        f"UPDATE {TABLE} SET position = 99 WHERE id = %s",  # noqa: S608
        f"UPDATE {TABLE} SET hash = 'f' WHERE id = %s",  # noqa: S608
        f"DELETE FROM {TABLE} WHERE id = %s",  # noqa: S608
    ],
    ids=["content", "position-again", "hash-again", "delete"],
)
def test_postgresql_refuses_every_change_but_the_one_fill(statement):
    postgresql_only()
    event = audit.record("test.event")
    sequence_pending()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement, [event.pk])


@pytest.mark.parametrize(
    "assignments",
    [
        "position = 0, action = 'x'",
        "position = 0, data = '{\"forged\": true}'",
        "data = data",  # even writing a column back unchanged
        "position = 0, id = id + 1000000",
        "position = 0, ip = '192.0.2.9'",
    ],
)
def test_postgresql_refuses_changing_an_unsequenced_event_content(assignments):
    postgresql_only()
    event = audit.record("test.event", data={"n": 1})
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"UPDATE {TABLE} SET {assignments} WHERE id = %s", [event.pk])  # noqa: S608
    event.refresh_from_db()
    assert event.position is None and event.data == {"n": 1}


def test_merge_delay_is_measured():
    audit.record("test.event")
    assert merge_delay().waiting == 1
    sequence_pending()
    delay = merge_delay()
    assert delay.sampled == 1 and delay.waiting == 0 and delay.oldest_waiting_seconds is None
    assert 0 <= delay.p99_seconds < 5


def test_an_event_left_unsequenced_over_a_minute_raises_the_alarm_once(
    monkeypatch, auditor, lead, settings
):
    monkeypatch.setattr("audit.tasks.sequence_pending", lambda: 0)  # a stopped sequencer
    with time_machine.travel(timezone.now() - timedelta(seconds=90), tick=False):
        stuck = audit.record("test.event")
    audit_sequence()
    audit_sequence()
    mails = Notification.objects.filter(subject__contains="AUDIT LOG STALLED")
    assert sorted(mails.values_list("recipient__username", flat=True)) == sorted(
        [auditor.username, lead.username]
    )
    (event,) = AuditEvent.objects.filter(action="audit.sequencing_stalled")
    assert event.data["event_id"] == stuck.pk and event.data["waiting_seconds"] >= 60
