"""Re-verification of stored evidence: `manage.py verify_evidence` and the beat job."""

import io

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command

from evidence import services, tasks
from evidence.models import Action, EvidenceItem, Status
from evidence.storage import evidence_store
from notifications.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def items(token_client, responder, incident, push):
    client = token_client(responder)
    ids = [push(client, incident, f"evidence {n}".encode() * 500).json()["id"] for n in range(3)]
    for item_id in ids:
        services.evidence_hash_stored(evidence_id=item_id)
    return list(EvidenceItem.objects.filter(pk__in=ids).order_by("pk"))


def flip_a_byte(item, offset=100):
    path = evidence_store().path(item.storage_key)
    path.chmod(0o600)
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def run_verify():
    out = io.StringIO()
    call_command("verify_evidence", stdout=out)
    return out.getvalue()


def test_verify_evidence_says_ok_when_nothing_changed(items):
    assert run_verify().strip() == "OK 3 items"
    for item in items:
        assert item.custody.last().action == Action.RE_VERIFIED


def test_verify_evidence_catches_a_flipped_byte(items, lead):
    flip_a_byte(items[1])

    out = io.StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("verify_evidence", stdout=out)

    assert refused.value.returncode == 1
    assert out.getvalue().splitlines() == [f"FAILED {items[1].pk}: content changed"]
    items[1].refresh_from_db()
    assert items[1].status == Status.INTEGRITY_FAILURE
    assert list(items[1].custody.values_list("action", flat=True))[-2:] == [
        Action.RE_VERIFIED,
        Action.INTEGRITY_FAILURE,
    ]
    assert Notification.objects.filter(recipient=lead, subject__contains="INTEGRITY").count() == 1


def test_a_missing_object_is_caught(items):
    evidence_store().delete(items[0].storage_key)
    with pytest.raises(CommandError):
        run_verify()
    items[0].refresh_from_db()
    assert items[0].status == Status.INTEGRITY_FAILURE


def test_the_periodic_job_alerts_once_per_change(items, lead):
    flip_a_byte(items[2])

    first = tasks.evidence_verify_all()
    second = tasks.evidence_verify_all()

    assert first == {"checked": 3, "failed": [items[2].pk]}
    assert second == first
    assert Notification.objects.filter(recipient=lead, subject__contains="INTEGRITY").count() == 1


def test_the_periodic_job_is_scheduled():
    entry = django_settings.CELERY_BEAT_SCHEDULE["evidence-verify-all"]
    assert entry["task"] == "evidence.tasks.evidence_verify_all"
