"""Legal hold and disposal: a lead, a step-up and a reason remove the bytes and keep
the record; a legal hold forbids it; verify_evidence skips what was disposed of."""

import time

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from accounts.twofactor import STEP_UP_SESSION_KEY
from audit.models import AuditEvent
from evidence import services
from evidence.models import Action, EvidenceItem, ImmutableEvidence, Status
from evidence.storage import evidence_store
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db

DATA = b"beacon config " * 100


@pytest.fixture
def item(token_client, responder, incident, push):
    item_id = push(token_client(responder, "evidence:write"), incident, DATA).json()["id"]
    return services.evidence_hash_stored(evidence_id=item_id)


def dispose(client, item, reason="Retention period over (case closed 2019)"):
    return client.post(f"/evidence/{item.pk}/dispose/", {"reason": reason})


def hold(client, incident, active="on", reason="Litigation hold from counsel, ref 2026-17"):
    return client.post(
        f"/evidence/incidents/{incident.pk}/hold/", {"active": active, "reason": reason}
    )


def test_a_lead_disposes_of_the_bytes_and_the_record_stays(
    client, lead, item, django_capture_on_commit_callbacks
):
    sign_in(client, lead)
    with django_capture_on_commit_callbacks(execute=True):
        response = dispose(client, item)

    assert response.status_code == 302
    after = EvidenceItem.objects.get(pk=item.pk)
    assert after.disposed_at is not None
    assert after.status == Status.VERIFIED
    assert (after.sha256, after.sha1, after.md5, after.size) == (
        item.sha256,
        item.sha1,
        item.md5,
        item.size,
    )
    assert not evidence_store().exists(item.storage_key)
    event = after.custody.get(action=Action.DISPOSED)
    assert event.actor == lead
    assert event.reason == "Retention period over (case closed 2019)"
    assert event.sha256 == item.sha256
    assert AuditEvent.objects.filter(action="evidence.disposed", target_id=str(item.pk)).exists()
    assert client.get(f"/evidence/{item.pk}/download/").status_code == 410


def test_disposal_needs_a_fresh_step_up(client, lead, item):
    sign_in(client, lead)
    session = client.session
    session[STEP_UP_SESSION_KEY] = time.time() - 10_000
    session.save()

    response = dispose(client, item)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/step-up/")
    assert EvidenceItem.objects.get(pk=item.pk).disposed_at is None
    assert evidence_store().exists(item.storage_key)


def test_disposal_needs_a_lead(client, responder, item):
    sign_in(client, responder)
    assert dispose(client, item).status_code == 403
    assert EvidenceItem.objects.get(pk=item.pk).disposed_at is None
    with pytest.raises(PermissionDenied):
        services.evidence_dispose(item=item, actor=responder, reason="because")


def test_disposal_needs_a_reason(client, lead, item):
    sign_in(client, lead)
    dispose(client, item, reason="   ")
    assert EvidenceItem.objects.get(pk=item.pk).disposed_at is None
    assert evidence_store().exists(item.storage_key)
    with pytest.raises(ValidationError):
        services.evidence_dispose(item=item, actor=lead, reason="")


def test_legal_hold_forbids_disposal_until_lifted(
    client, lead, item, incident, django_capture_on_commit_callbacks
):
    sign_in(client, lead)
    assert hold(client, incident).status_code == 302
    assert (
        AuditEvent.objects.get(action="evidence.legal_hold_set")
        .data["reason"]
        .startswith("Litigation")
    )

    response = dispose(client, item)

    assert response.status_code == 409
    assert EvidenceItem.objects.get(pk=item.pk).disposed_at is None
    assert not item.custody.filter(action=Action.DISPOSED).exists()
    assert evidence_store().exists(item.storage_key)
    with pytest.raises(services.DisposalRefused):
        services.evidence_dispose(item=item, actor=lead, reason="anyway")

    hold(client, incident, active="off", reason="Counsel released the hold")
    assert AuditEvent.objects.filter(action="evidence.legal_hold_lifted").exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert dispose(client, item).status_code == 302
    assert EvidenceItem.objects.get(pk=item.pk).disposed_at is not None
    assert not evidence_store().exists(item.storage_key)


def test_the_incident_page_shows_the_hold(client, lead, incident, item):
    sign_in(client, lead)
    hold(client, incident)
    html = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "Legal hold since" in html
    assert "Lift the legal hold" in html


def test_only_leads_set_a_hold_and_only_with_a_reason(client, responder, lead, incident):
    sign_in(client, responder)
    assert hold(client, incident).status_code == 403
    assert not services.evidence_hold_active(incident=incident)
    sign_in(client, lead)
    hold(client, incident, reason="")
    assert not services.evidence_hold_active(incident=incident)
    assert not AuditEvent.objects.filter(action="evidence.legal_hold_set").exists()


def test_disposing_twice_is_refused(lead, item):
    services.evidence_dispose(item=item, actor=lead, reason="first")
    with pytest.raises(services.DisposalRefused):
        services.evidence_dispose(item=item, actor=lead, reason="second")
    assert EvidenceItem.objects.get(pk=item.pk).custody.filter(action=Action.DISPOSED).count() == 1


def test_disposed_at_never_changes_afterwards(lead, item):
    services.evidence_dispose(item=item, actor=lead, reason="retention")
    after = EvidenceItem.objects.get(pk=item.pk)
    after.disposed_at = None
    with pytest.raises(ImmutableEvidence):
        after.save()


def test_verify_evidence_skips_disposed_items(
    lead, item, capsys, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.evidence_dispose(item=item, actor=lead, reason="retention")
    assert not evidence_store().exists(item.storage_key)

    call_command("verify_evidence")  # exit 0: the missing bytes are not a failure

    assert "OK 0 items" in capsys.readouterr().out
    after = EvidenceItem.objects.get(pk=item.pk)
    assert after.status == Status.VERIFIED
    assert not after.custody.filter(action=Action.RE_VERIFIED).exists()


def test_an_export_lists_a_disposed_item_without_its_bytes(
    token_client, lead, responder, incident, item
):
    import io
    import json
    import zipfile

    services.evidence_dispose(item=item, actor=lead, reason="retention")
    response = token_client(responder, "evidence:read").get(
        f"/api/v1/incidents/{incident.pk}/evidence/export/"
    )
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    manifest = json.loads(archive.read("manifest.json"))
    (entry,) = manifest["items"]
    assert entry["path"] is None
    assert entry["disposed_at"] is not None
    assert entry["sha256"] == item.sha256
    assert [name for name in archive.namelist() if name.startswith("files/")] == []
