"""Row locks of the evidence services: recording hashes (the worker) must not make
a person viewing the same item wait, nor a custody event of the same incident.

Viewing an item appends a `viewed` custody event; its foreign key to the item takes
FOR KEY SHARE on the item's row. When the hashing transaction held FOR UPDATE on the
item (and, through select_related, on its incident), that insert queued behind it
while the hashing transaction waited for the audit chain lock: a deadlock the
browser journey met. PostgreSQL only: SQLite has no row locks.
"""

import threading

import pytest
from django.db import connection, connections, transaction

from audit.models import AuditEvent
from evidence import release as evidence_release
from evidence import services
from evidence.models import EvidenceItem

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def item(token_client, responder, incident, push):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's")
    response = push(token_client(responder), incident, b"an infected file " * 100)
    return EvidenceItem.objects.get(pk=response.json()["id"])


def hold_item_lock(item_pk, locked, release, failures):
    """In another connection: lock the item as the hashing transaction does, and keep
    the lock until told to let go."""
    try:
        with transaction.atomic():
            services._lock_item(item_pk)
            locked.set()
            release.wait(timeout=30)
    except Exception as error:
        failures.append(error)
        locked.set()
    finally:
        connections.close_all()


def test_viewing_an_item_does_not_wait_for_the_hashing_transaction(item, responder):
    locked, release, failures = threading.Event(), threading.Event(), []
    holder = threading.Thread(target=hold_item_lock, args=(item.pk, locked, release, failures))
    holder.start()
    try:
        assert locked.wait(timeout=10)
        assert not failures
        with transaction.atomic():
            with connection.cursor() as cursor:
                # Waiting for the row at all is the bug: fail fast instead of hanging.
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            evidence_release.evidence_viewed(item=item, actor=responder)
            item.incident.timeline.create(body="still writable while the item is locked")
    finally:
        release.set()
        holder.join(timeout=30)
    assert AuditEvent.objects.filter(action="evidence.viewed", actor=responder).count() == 1


def test_two_lockers_of_the_same_item_still_take_turns(item):
    """NO KEY UPDATE still excludes a second writer of the item (hashing twice, or
    disposal during hashing, cannot interleave)."""
    locked, release, failures = threading.Event(), threading.Event(), []
    holder = threading.Thread(target=hold_item_lock, args=(item.pk, locked, release, failures))
    holder.start()
    try:
        assert locked.wait(timeout=10)
        with pytest.raises(Exception, match="lock timeout"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '500ms'")
            services._lock_item(item.pk)
    finally:
        release.set()
        holder.join(timeout=30)
