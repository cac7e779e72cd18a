"""A log cut short (issue 14): what is left still links up, so `verify_audit_chain` and
beat hold it against what earlier verifications recorded (checkpoints) and against
the signed heads kept outside the database."""

import io
from contextlib import contextmanager

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

import audit
from audit.models import AuditCheckpoint, AuditEvent
from audit.sequencer import sequence_pending
from audit.services import verify_chain_incrementally
from audit.tasks import audit_export_chain_head, audit_verify_chain
from notifications.models import Notification
from tests.audit.test_chain import TABLE, insert_raw_event, on_postgresql

pytestmark = pytest.mark.django_db


@contextmanager
def database_owner():
    """A cursor that gets past the append-only triggers, as someone with rights over the
    database does (on PostgreSQL: session_replication_role = replica, a superuser's)."""
    with connection.cursor() as cursor:
        if not on_postgresql():
            yield cursor
            return
        # TRUNCATE waits for no deferred foreign-key checks: run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET session_replication_role = replica")
        try:
            yield cursor
        finally:
            cursor.execute("SET session_replication_role = DEFAULT")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def remove_all(how: str) -> None:
    if how == "truncate" and not on_postgresql():
        pytest.skip("SQLite has no TRUNCATE")
    with database_owner() as cursor:
        cursor.execute(f"TRUNCATE {TABLE}" if how == "truncate" else f"DELETE FROM {TABLE}")  # noqa: S608


def remove_from(event_id: int) -> None:
    with database_owner() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE id >= %s", [event_id])  # noqa: S608


def append(count: int) -> list[AuditEvent]:
    """`count` new events, sequenced (as the sequencer does after their commit)."""
    ids = [audit.record("test.event", data={"n": n}).pk for n in range(count)]
    sequence_pending()
    return list(AuditEvent.objects.filter(pk__in=ids).order_by("position"))


def broken(*args) -> tuple[str, str]:
    """Run the command expecting exit 1: (stdout, error message)."""
    out = io.StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command("verify_audit_chain", *args, stdout=out, stderr=io.StringIO())
    assert excinfo.value.returncode == 1
    return out.getvalue(), str(excinfo.value)


@pytest.fixture
def checkpointed() -> list[AuditEvent]:
    """Five events, verified by beat: a checkpoint vouches for the last one."""
    events = append(5)
    report, checkpoint = verify_chain_incrementally()
    assert report.ok and checkpoint.verified_through_id == events[-1].pk
    return events


# --- verify_audit_chain against the checkpoints -------------------------------------


@pytest.mark.parametrize("how", ["truncate", "delete"])
def test_an_emptied_log_fails_against_its_checkpoint(checkpointed, how):
    remove_all(how)

    out, message = broken()

    last = checkpointed[-1]
    assert out.strip().splitlines() == [f"BROKEN {last.pk}"]
    assert f"the chain has 0 events but checkpoint {AuditCheckpoint.objects.get().pk}" in message
    assert f"verified it through event {last.pk}" in message
    assert "missing from position 1 (the first event)" in message


def test_a_cut_off_tail_fails_against_the_checkpoint_naming_the_first_missing_position(
    checkpointed,
):
    remove_from(checkpointed[3].pk)

    out, message = broken()

    assert out.strip() == f"BROKEN {checkpointed[-1].pk}"
    assert "the chain has 3 events" in message
    assert f"missing from position 4 (after event {checkpointed[2].pk})" in message


def test_new_events_after_a_truncate_do_not_hide_it(checkpointed):
    remove_all("delete")
    append(2)  # the log goes on from the genesis hash, and links up

    out, message = broken()

    assert out.strip() == f"BROKEN {checkpointed[-1].pk}"
    assert "missing from position 1 (the first event)" in message


def test_the_earliest_checkpoint_that_lost_its_event_bounds_the_loss(checkpointed):
    later = append(3)
    verify_chain_incrementally()
    remove_from(checkpointed[1].pk)

    out, message = broken()

    # Both checkpoints lost their event; the earlier one is nearer the first loss.
    assert out.strip() == f"BROKEN {checkpointed[-1].pk}"
    assert later[-1].pk > checkpointed[-1].pk
    assert f"missing from position 2 (after event {checkpointed[0].pk})" in message


def test_a_rewritten_checkpointed_event_fails(checkpointed):
    *_, before, victim = checkpointed
    remove_from(victim.pk)
    # A well-formed replacement under the same id, linked to its predecessor.
    insert_raw_event(prev_hash=before.hash, event_id=victim.pk)

    out, message = broken()

    assert out.strip() == f"BROKEN {victim.pk}"
    assert f"event {victim.pk} now has another hash" in message


def test_an_intact_log_with_checkpoints_is_ok(checkpointed):
    append(2)
    verify_chain_incrementally()
    out = io.StringIO()
    call_command("verify_audit_chain", stdout=out, stderr=io.StringIO())
    assert out.getvalue().strip() == f"OK {AuditEvent.objects.count()} events"


def test_a_checkpoint_of_an_empty_log_anchors_nothing():
    assert not AuditEvent.objects.exists()
    verify_chain_incrementally()
    report, _ = verify_chain_incrementally()
    assert report.ok
    out = io.StringIO()
    call_command("verify_audit_chain", stdout=out, stderr=io.StringIO())
    assert out.getvalue().strip() == "OK 0 events"


# --- ... and against the signed heads --------------------------------------------------


@pytest.fixture
def head_file(tmp_path, settings):
    path = tmp_path / "chain-heads.jsonl"
    settings.AUDIT_CHAIN_HEAD_FILE = str(path)
    return path


@pytest.mark.parametrize("how", ["truncate", "delete"])
def test_an_emptied_log_without_checkpoints_fails_against_the_heads(head_file, how):
    *_, last = append(3)
    audit_export_chain_head()
    remove_all(how)

    out, message = broken("--heads", str(head_file))

    # Nothing says OK about a log that lost its head.
    assert out.strip().splitlines() == [f"BROKEN HEAD {last.pk}"]
    assert f"event {last.pk} exported at" in message and "is gone" in message
    assert "missing from position 1 (the first event)" in message


# --- Beat ------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["truncate", "delete"])
def test_beat_alerts_once_when_the_checkpointed_event_is_gone(checkpointed, auditor, how):
    remove_all(how)

    result = audit_verify_chain()
    audit_verify_chain()

    last = checkpointed[-1]
    assert result["ok"] is False and result["first_bad_id"] == last.pk
    failed = AuditCheckpoint.objects.filter(ok=False).first()
    assert "is gone" in failed.reason and "position 1" in failed.reason
    mails = Notification.objects.filter(subject__contains="AUDIT CHAIN BROKEN")
    assert list(mails.values_list("recipient__username", flat=True)) == [auditor.username]
    (event,) = AuditEvent.objects.filter(action="audit.chain_broken")
    assert event.data["event_id"] == last.pk and "is gone" in event.data["reason"]
