"""Export of an incident's evidence: a zip an auditor verifies offline with sha256sum."""

import hashlib
import json
import os
import subprocess
import time
import zipfile

import pytest

from accounts.twofactor import STEP_UP_SESSION_KEY
from audit.models import AuditEvent
from evidence import services
from evidence.models import Action, EvidenceItem
from tests.conftest import sign_in
from tests.evidence.conftest import stored_files

pytestmark = pytest.mark.django_db

SHA256SUM = "/usr/bin/sha256sum"


def export_url(incident):
    return f"/api/v1/incidents/{incident.pk}/evidence/export/"


@pytest.fixture
def pushed(token_client, responder, incident, push):
    """Three items, two with the same hostile-looking name, all hashed."""
    client = token_client(responder, "evidence:read", "evidence:write")
    contents = {
        "../../etc/passwd": b"root:x:0:0\n",
        "..\\..\\passwd": b"another file with the same cleaned name\n",
        "PASSWD": os.urandom(70_000),
        "report\u202efdp.exe": b"MZ" + os.urandom(1000),
    }
    ids = []
    for name, content in contents.items():
        item_id = push(client, incident, content, name=name).json()["id"]
        services.evidence_hash_stored(evidence_id=item_id)
        ids.append(item_id)
    return client, ids, list(contents.values())


def extract(content: bytes, tmp_path):
    archive_path = tmp_path / "package.zip"
    archive_path.write_bytes(content)
    target = tmp_path / "package"
    with zipfile.ZipFile(archive_path) as archive:
        names = archive.namelist()
        archive.extractall(target)
    return target, names


def test_the_exported_package_verifies_with_sha256sum(pushed, incident, tmp_path, vault):
    client, ids, contents = pushed

    response = client.get(export_url(incident))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")
    assert incident.reference in response["Content-Disposition"]
    target, names = extract(b"".join(response.streaming_content), tmp_path)
    result = subprocess.run(  # noqa: S603
        [SHA256SUM, "--strict", "-c", "SHA256SUMS"],
        cwd=target,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(names) == sorted(
        [
            "files/passwd",
            f"files/passwd (#{ids[1]})",
            f"files/PASSWD (#{ids[2]})",
            "files/reportfdp.exe",
            "manifest.json",
            "custody.json",
            "SHA256SUMS",
        ]
    )
    assert all(".." not in name and "\\" not in name for name in names)
    manifest = json.loads((target / "manifest.json").read_text())
    assert [entry["id"] for entry in manifest["items"]] == ids
    for entry, content in zip(manifest["items"], contents, strict=True):
        assert entry["sha256"] == hashlib.sha256(content).hexdigest()
        assert entry["md5"] == hashlib.md5(content).hexdigest()  # noqa: S324
        assert (target / entry["path"]).read_bytes() == content
        assert entry["status"] == "verified"
    custody = json.loads((target / "custody.json").read_text())
    assert {event["item"] for event in custody} == set(ids)
    assert {"collected", "received", "hashed", "verified"} <= {e["action"] for e in custody}
    sums = (target / "SHA256SUMS").read_text().splitlines()
    assert len(sums) == len(ids) + 2
    # Written to a temporary file that was unlinked at once: nothing left behind.
    assert stored_files(vault / "tmp") == []


def test_export_writes_custody_per_item_and_an_audit_event(pushed, incident, responder):
    client, ids, _ = pushed
    response = client.get(export_url(incident))
    b"".join(response.streaming_content)

    for item in EvidenceItem.objects.filter(pk__in=ids):
        event = item.custody.get(action=Action.EXPORTED)
        assert event.actor == responder
        assert event.sha256 == item.sha256
        assert event.data["channel"] == "api"
    audit_event = AuditEvent.objects.get(action="evidence.exported")
    assert audit_event.target_id == str(incident.pk)
    assert audit_event.data["items"] == ids


def test_a_changed_byte_in_the_vault_fails_the_offline_check(pushed, incident, vault, tmp_path):
    client, ids, _ = pushed
    item = EvidenceItem.objects.get(pk=ids[0])
    (path,) = [p for p in stored_files(vault) if p.name == item.storage_key]
    path.chmod(0o600)
    path.write_bytes(b"root:x:0:1\n")

    response = client.get(export_url(incident))
    target, _ = extract(b"".join(response.streaming_content), tmp_path)

    result = subprocess.run(  # noqa: S603
        [SHA256SUM, "-c", "SHA256SUMS"], cwd=target, capture_output=True, check=False
    )
    assert result.returncode == 1


def test_export_needs_the_read_scope_and_the_permission(
    token_client, incident, responder, reporter, pushed
):
    assert token_client(responder, "evidence:write").get(export_url(incident)).status_code == 403
    own = token_client(reporter, "evidence:read")
    assert own.get(export_url(incident)).status_code == 404  # not the reporter's incident
    assert not EvidenceItem.objects.filter(custody__action=Action.EXPORTED).exists()


def test_reporters_cannot_export_even_what_they_filed(token_client, reporter, make_incident):
    filed = make_incident(reporter=reporter)
    response = token_client(reporter, "evidence:read").get(export_url(filed))
    assert response.status_code == 403


def test_export_of_an_invisible_incident_is_404(token_client, responder, make_incident, lead):
    secret = make_incident(reporter=lead, restricted=True)
    response = token_client(responder, "evidence:read").get(export_url(secret))
    assert response.status_code == 404


def test_browser_export_needs_a_fresh_step_up(client, responder, incident, pushed, tmp_path):
    sign_in(client, responder)
    session = client.session
    session[STEP_UP_SESSION_KEY] = time.time() - 10_000
    session.save()
    url = f"/evidence/incidents/{incident.pk}/export/"

    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/step-up/")
    assert not AuditEvent.objects.filter(action="evidence.exported").exists()

    sign_in(client, responder)  # with a fresh step-up
    response = client.get(url)
    assert response.status_code == 200
    target, _ = extract(b"".join(response.streaming_content), tmp_path)
    result = subprocess.run(  # noqa: S603
        [SHA256SUM, "-c", "SHA256SUMS"], cwd=target, capture_output=True, check=False
    )
    assert result.returncode == 0
    assert AuditEvent.objects.get(action="evidence.exported").data["channel"] == "browser"


def test_browser_export_needs_the_permission(client, manager, incident):
    sign_in(client, manager)
    assert client.get(f"/evidence/incidents/{incident.pk}/export/").status_code in {403, 404}
