"""`manage.py purge_expired`: every app's purge now, one audit event per app, and
nothing that must be kept (the audit log, custody events, evidence) is ever touched."""

import io
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from accounts.models import IdempotencyRecord, UserSession
from audit.models import AuditEvent
from evidence.models import CustodyEvent, EvidenceItem
from notifications.models import DeliveryStatus, Notification
from tests.dashboard.conftest import store_evidence  # noqa: F401 - a fixture
from tests.evidence.conftest import vault  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db

A_DECADE = timedelta(days=3653)


def _purge() -> str:
    out = io.StringIO()
    call_command("purge_expired", stdout=out)
    return out.getvalue()


def _bookkeeping(user) -> None:
    IdempotencyRecord.objects.create(
        user=user, key="k", fingerprint="0" * 64, status_code=201, response_body={}
    )
    UserSession.objects.create(
        session_key="s" * 32, session_data="", expire_date=timezone.now(), user=user
    )
    Notification.objects.create(
        recipient=user,
        subject="Sent",
        body="b",
        status=DeliveryStatus.SENT,
        sent_at=timezone.now(),
    )


def test_the_command_purges_every_app_and_says_what(responder):
    _bookkeeping(responder)

    with time_machine.travel(timezone.now() + A_DECADE):
        output = _purge()

    assert output.splitlines() == [
        "accounts: idempotency_records 1, sessions 1, django_sessions 0, login_attempts 0",
        "notifications: notifications 1, inapp_notifications 0, webhook_deliveries 0",
    ]
    assert not IdempotencyRecord.objects.exists()
    assert not UserSession.objects.exists()
    assert not Notification.objects.exists()
    assert sorted(
        AuditEvent.objects.filter(action="housekeeping.purged").values_list(
            "data__source", flat=True
        )
    ) == ["accounts", "notifications"]


def test_the_audit_log_and_custody_events_are_never_purged(
    responder,
    incident,
    store_evidence,  # noqa: F811 - the fixture imported above
):
    item = store_evidence(incident, responder, b"memory image")
    _bookkeeping(responder)
    events = list(AuditEvent.objects.values_list("id", "hash"))
    custody = list(CustodyEvent.objects.values_list("id", flat=True))
    assert events and custody

    with time_machine.travel(timezone.now() + A_DECADE):
        _purge()
        _purge()

    # Every event is still there, unchanged; the purges added their summaries.
    after = list(AuditEvent.objects.order_by("id").values_list("id", "hash"))
    assert after[: len(events)] == sorted(events)
    assert [event.action for event in AuditEvent.objects.order_by("id")[len(events) :]] == [
        "housekeeping.purged",
        "housekeeping.purged",
    ]
    assert list(CustodyEvent.objects.values_list("id", flat=True)) == custody
    assert EvidenceItem.objects.filter(pk=item.pk).exists()
    out = io.StringIO()
    call_command("verify_audit_chain", stdout=out)
    assert out.getvalue().startswith("OK ")
