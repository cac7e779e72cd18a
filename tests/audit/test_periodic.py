"""Periodic, incremental verification of the audit chain, and the alert when it breaks."""

import pytest

import audit
from audit.models import AuditCheckpoint, AuditEvent
from audit.services import verify_chain_incrementally
from audit.tasks import audit_verify_chain
from notifications.models import Notification
from tests.audit.test_chain import tampering

pytestmark = pytest.mark.django_db


def _append(count: int) -> None:
    for n in range(count):
        audit.record("test.event", data={"n": n})


def test_first_run_walks_the_whole_chain_and_leaves_a_checkpoint():
    _append(5)
    report, checkpoint = verify_chain_incrementally()
    last = AuditEvent.objects.order_by("-id").first()
    assert report.ok and report.checked == AuditEvent.objects.count()
    assert checkpoint.ok
    assert (checkpoint.verified_through_id, checkpoint.verified_through_hash) == (
        last.id,
        last.hash,
    )


def test_later_runs_walk_only_the_new_events():
    _append(5)
    verify_chain_incrementally()
    _append(3)
    report, checkpoint = verify_chain_incrementally()
    assert report.ok
    assert report.checked == 3
    assert checkpoint.verified_through_id == AuditEvent.objects.order_by("-id").first().id


def test_a_change_after_the_checkpoint_is_caught_and_alerted_once(auditor, lead):
    _append(3)
    verify_chain_incrementally()
    _append(3)
    victim = AuditEvent.objects.order_by("-id")[1]
    with tampering() as cursor:
        cursor.execute("UPDATE audit_auditevent SET action = 'forged' WHERE id = %s", [victim.id])

    result = audit_verify_chain()
    audit_verify_chain()

    assert result == {"ok": False, "checked": 1, "first_bad_id": victim.id}
    assert AuditCheckpoint.objects.filter(ok=False, verified_through_id=victim.id).count() == 2
    alerts = Notification.objects.filter(subject__contains="AUDIT CHAIN BROKEN")
    assert sorted(alerts.values_list("recipient__username", flat=True)) == sorted(
        [auditor.username, lead.username]
    )
    # The break is in the log itself too, once (appended after it).
    (event,) = AuditEvent.objects.filter(action="audit.chain_broken")
    assert event.data["event_id"] == victim.id and event.outcome == "failure"


def test_a_changed_checkpoint_event_is_caught():
    _append(3)
    _, checkpoint = verify_chain_incrementally()
    with tampering() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET hash = %s WHERE id = %s",
            ["f" * 64, checkpoint.verified_through_id],
        )
    report, _ = verify_chain_incrementally()
    assert not report.ok
    assert report.first_bad_id == checkpoint.verified_through_id
