"""Emptying the database: `manage.py flush` is refused on PostgreSQL, because the
append-only tables refuse TRUNCATE; the test harness alone flushes them (tests/db_flush.py)."""

import hashlib
import io
import os
import secrets
import subprocess
import sys
import urllib.request

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.core.management.commands import flush
from django.db import connection

import audit
from accounts.roles import ROLE_NAMES
from audit.models import AuditEvent
from disclosures import services as disclosure_services
from disclosures.models import Approval, Audience, DisclosureVersion, Publication, Regime
from evidence.models import Action, CustodyEvent, EvidenceItem
from tests.factories import fill_blanks

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
APPEND_ONLY = (AuditEvent, CustodyEvent, EvidenceItem, DisclosureVersion, Approval, Publication)

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the TRUNCATE triggers exist on PostgreSQL only"
)


def _fill_every_append_only_table(incident, responder, manager) -> None:
    audit.record("test.kept", actor=responder)
    item = EvidenceItem.objects.create(
        incident=incident,
        collected_by=responder,
        original_name="dropper.bin",
        storage_key=secrets.token_hex(16),
        size=7,
        receipt_sha256=hashlib.sha256(b"malware").hexdigest(),
    )
    CustodyEvent.objects.create(item=item, action=Action.RECEIVED, actor=responder)
    disclosure = disclosure_services.disclosure_create(
        incident=incident, actor=responder, audience=Audience.REGULATOR, regime=Regime.GDPR_ART33
    )
    fill_blanks(disclosure, responder)
    disclosure_services.disclosure_submit(disclosure=disclosure, actor=responder)
    disclosure_services.disclosure_approve(disclosure=disclosure, actor=manager)
    disclosure.refresh_from_db()
    disclosure_services.disclosure_publish(
        disclosure=disclosure, actor=manager, channel="e-mail", recipients="dpa@example.org"
    )
    assert all(model.objects.exists() for model in APPEND_ONLY)


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_manage_py_flush_is_refused_and_deletes_nothing(incident, responder, manager):
    _fill_every_append_only_table(incident, responder, manager)
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        ),
    }

    result = subprocess.run(
        [sys.executable, "manage.py", "flush", "--noinput"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 1, result.stdout + result.stderr
    assert "couldn't be flushed" in result.stderr
    assert all(model.objects.exists() for model in APPEND_ONLY)
    assert Group.objects.filter(name__in=ROLE_NAMES).count() == len(ROLE_NAMES)


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_djangos_own_flush_is_refused_in_process_too(incident, responder, manager):
    _fill_every_append_only_table(incident, responder, manager)
    with pytest.raises(CommandError, match="couldn't be flushed") as excinfo:
        call_command(flush.Command(), interactive=False, verbosity=0, stdout=io.StringIO())
    assert "TRUNCATE of" in str(excinfo.value.__cause__)
    assert all(model.objects.exists() for model in APPEND_ONLY)


@pytest.mark.django_db(transaction=True)
def test_the_harness_flush_empties_the_append_only_tables(incident, responder, manager):
    _fill_every_append_only_table(incident, responder, manager)
    call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=True)
    assert not any(model.objects.exists() for model in APPEND_ONLY)


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_refused_truncate_still_refuses_after_a_harness_flush(responder):
    call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=True)
    audit.record("test.after_flush")
    with pytest.raises(CommandError, match="couldn't be flushed"):
        call_command(flush.Command(), interactive=False, verbosity=0, stdout=io.StringIO())
    assert AuditEvent.objects.filter(action="test.after_flush").exists()


def test_a_live_server_test_that_wrote_to_the_log_is_flushed_after_it(live_server, responder):
    # The write is committed where the server thread sees it; the flush after this test
    # must get past the append-only tables.
    audit.record("test.live", actor=responder)
    with urllib.request.urlopen(f"{live_server.url}/healthz", timeout=30) as answer:  # noqa: S310
        assert answer.status == 200
    assert AuditEvent.objects.filter(action="test.live").exists()
