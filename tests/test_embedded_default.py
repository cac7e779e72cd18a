"""The embedded default `make run` serves (SQLite, no broker: tasks in-process) files an
incident, takes a bulk of observables twice (the second time updating them) and keeps
an audit log that verifies: the code paths that exist only for SQLite (the ORM's save
of an event, Django's own upsert, the sequencer run after each commit) run here."""

import json
import os
import subprocess
import sys
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

ROOT = Path(__file__).resolve().parent.parent

PROBE = r"""
import io, json
import django
django.setup()
from django.core.management import call_command
from django.test import Client

call_command("migrate", verbosity=0)
call_command("create_member", "embedded-lead", "--role", "lead", stdout=io.StringIO())
out = io.StringIO()
call_command("issue_api_token", "embedded-lead", "--scope", "incidents:write",
             "--scope", "observables:write", stdout=out)
token = out.getvalue().strip().splitlines()[-1]
client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="127.0.0.1")
filed = client.post("/api/v1/incidents/", {"title": "Embedded", "severity": "high"},
                    content_type="application/json", secure=True)
url = f"/api/v1/incidents/{filed.json()['id']}/observables/"
items = [{"type": "domain", "value": f"d{n}.example"} for n in range(30)]
first = client.post(url, items, content_type="application/json", secure=True)
again = client.post(url, [dict(item, tlp="red") for item in items[:3]],
                    content_type="application/json", secure=True)
verify = io.StringIO()
call_command("verify_audit_chain", stdout=verify)
from observables.models import Observable
from audit.models import AuditEvent
print(json.dumps({
    "filed": filed.status_code,
    "first": first.status_code,
    "created": sum(row["created"] for row in first.json()),
    "again": again.status_code,
    "again_created": sum(row["created"] for row in again.json()),
    "red": Observable.objects.filter(tlp="red").count(),
    "observables": Observable.objects.count(),
    "unsequenced": AuditEvent.objects.filter(position__isnull=True).count(),
    "verify": verify.getvalue().strip(),
}))
"""


def test_the_embedded_default_files_adds_observables_and_keeps_a_verifiable_log(tmp_path):
    key = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    drop = {"DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "PYTEST_XDIST_WORKER"}
    env = {name: value for name, value in os.environ.items() if name not in drop}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        EVIDENCE_ROOT=str(tmp_path / "evidence"),
        AUDIT_SIGNING_KEY=key.decode(),
        LOG_LEVEL="ERROR",
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter and probe
        [sys.executable, "-c", PROBE], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-3000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert (outcome["filed"], outcome["first"], outcome["created"]) == (201, 201, 30)
    assert (outcome["again"], outcome["again_created"], outcome["red"]) == (200, 0, 3)
    assert outcome["observables"] == 30
    assert outcome["unsequenced"] == 0
    assert outcome["verify"].startswith("OK "), outcome["verify"]
