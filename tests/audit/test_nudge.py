"""After a commit that appended events, the sequencer is nudged: with a broker, a task
for the worker, asked for at most once a second by each process (a time check, no
cache round trip) and by all of them together (a cache key); without one, in-process."""

import time

import pytest
from django.core.cache import cache
from django.db import transaction

import audit
from audit import services
from audit.models import AuditEvent
from audit.tasks import audit_sequence
from tests.conftest import wait_for


@pytest.fixture
def fresh_nudges():
    services._last_nudge = -float(services.NUDGE_EVERY_SECONDS)
    cache.delete(services.NUDGE_KEY)
    yield
    services._last_nudge = -float(services.NUDGE_EVERY_SECONDS)
    cache.delete(services.NUDGE_KEY)


@pytest.fixture
def sent(monkeypatch, settings):
    """The tasks sent: a spy around the real delay(), which still sends each."""
    if not settings.CELERY_BROKER_URL:
        pytest.skip("needs a broker")
    calls = []
    real = audit_sequence.delay

    def spy(*args, **kwargs):
        calls.append(time.monotonic())
        return real(*args, **kwargs)

    monkeypatch.setattr(audit_sequence, "delay", spy)
    return calls


def test_a_commit_nudges_the_real_worker_which_sequences_the_event(celery_worker, fresh_nudges):
    # No beat runs here: only the nudge after this commit can give the event its place.
    event = audit.record("test.nudged")
    assert wait_for(lambda: AuditEvent.objects.get(pk=event.pk).position is not None, timeout=30)


@pytest.mark.django_db(transaction=True)
def test_nudges_come_once_per_commit_and_at_most_once_a_second(sent, fresh_nudges):
    with transaction.atomic():
        audit.record("test.a")
        audit.record("test.b")
    assert len(sent) == 1  # one transaction, one nudge
    for n in range(5):
        audit.record("test.burst", data={"n": n})
    assert len(sent) == 1  # within the second: neither the cache nor the broker is asked

    # A second later in this process, but another process nudged just now (the cache
    # key is there): still nothing sent.
    services._last_nudge -= services.NUDGE_EVERY_SECONDS
    cache.add(services.NUDGE_KEY, 1, services.NUDGE_EVERY_SECONDS)
    audit.record("test.c")
    assert len(sent) == 1

    services._last_nudge -= services.NUDGE_EVERY_SECONDS
    cache.delete(services.NUDGE_KEY)
    audit.record("test.d")
    assert len(sent) == 2


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_nudges_nothing(sent, fresh_nudges):
    with pytest.raises(RuntimeError), transaction.atomic():
        audit.record("test.rolled-back")
        raise RuntimeError
    assert sent == []
    assert not AuditEvent.objects.filter(action="test.rolled-back").exists()


@pytest.mark.django_db(transaction=True)
def test_a_nudge_lost_with_a_rolled_back_savepoint_is_asked_for_again(sent, fresh_nudges):
    with transaction.atomic():
        with pytest.raises(RuntimeError), transaction.atomic():
            audit.record("test.rolled-back")
            raise RuntimeError
        audit.record("test.kept")
    assert len(sent) == 1
    assert AuditEvent.objects.filter(action="test.kept").exists()
