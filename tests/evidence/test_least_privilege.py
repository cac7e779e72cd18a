"""Least privilege on evidence (issue 14, finding 3), in the browser, the API and the
services: reporters see only the items they uploaded themselves; managers see an
item's record, hashes and custody but never its bytes."""

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from audit.models import AuditEvent
from evidence import release, services
from evidence.models import Action
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db

THEIRS = b"responder's memory dump of the reporter's laptop\n"
MINE = b"the phishing mail the reporter received\n"


@pytest.fixture
def filed(reporter, responder, make_incident, token_client, push):
    """An incident the reporter filed, an item a responder uploaded to it, and one the
    reporter uploaded."""
    incident = make_incident(reporter=reporter)
    theirs_id = push(token_client(responder, "evidence:write"), incident, THEIRS).json()["id"]
    mine_id = push(token_client(reporter, "evidence:write"), incident, MINE).json()["id"]
    return (
        incident,
        services.evidence_hash_stored(evidence_id=theirs_id),
        services.evidence_hash_stored(evidence_id=mine_id),
    )


def nothing_downloaded(item) -> bool:
    return not item.custody.filter(action=Action.DOWNLOADED).exists()


# --- Reporters: only what they uploaded themselves ----------------------------------


def test_a_reporter_lists_only_their_own_uploads_over_the_api(token_client, reporter, filed):
    incident, _, mine = filed
    api = token_client(reporter, "evidence:read")
    listed = api.get(f"/api/v1/incidents/{incident.pk}/evidence/").json()["results"]
    assert [row["id"] for row in listed] == [mine.pk]


@pytest.mark.parametrize("path", ["", "custody/", "download/"])
def test_a_reporter_gets_404_for_someone_elses_item_on_their_own_incident_over_the_api(
    token_client, reporter, filed, path
):
    _, theirs, mine = filed
    api = token_client(reporter, "evidence:read")
    assert api.get(f"/api/v1/evidence/{theirs.pk}/{path}").status_code == 404
    assert api.get(f"/api/v1/evidence/{mine.pk}/{path}").status_code == 200
    assert nothing_downloaded(theirs)


def test_a_reporter_gets_404_for_someone_elses_item_in_the_browser(client, reporter, filed):
    incident, theirs, mine = filed
    sign_in(client, reporter)
    assert client.get(f"/evidence/{theirs.pk}/").status_code == 404
    assert client.get(f"/evidence/{theirs.pk}/download/").status_code == 404
    assert client.post(f"/evidence/{theirs.pk}/download/").status_code == 404
    assert nothing_downloaded(theirs)
    assert not AuditEvent.objects.filter(action="evidence.viewed").exists()
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert f"/evidence/{mine.pk}/" in page
    assert f"/evidence/{theirs.pk}/" not in page
    assert theirs.receipt_sha256 not in page


def test_a_reporter_downloads_their_own_upload(client, token_client, reporter, filed):
    _, _, mine = filed
    sign_in(client, reporter)
    response = client.post(f"/evidence/{mine.pk}/download/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == MINE
    api = token_client(reporter, "evidence:read")
    response = api.get(f"/api/v1/evidence/{mine.pk}/download/")
    assert b"".join(response.streaming_content) == MINE


def test_the_services_refuse_a_reporter_someone_elses_item(reporter, filed):
    _, theirs, _ = filed
    with pytest.raises(PermissionDenied):
        release.evidence_downloaded(item=theirs, actor=reporter, channel="browser")
    with pytest.raises(PermissionDenied):
        release.evidence_viewed(item=theirs, actor=reporter)
    assert not theirs.custody.filter(action=Action.DOWNLOADED).exists()
    assert not AuditEvent.objects.filter(action="evidence.viewed").exists()


# --- Managers: metadata and hashes, not bytes ---------------------------------------


@pytest.fixture
def item(token_client, responder, incident, push):
    """An item of an unrestricted incident a manager sees."""
    item_id = push(token_client(responder, "evidence:write"), incident, THEIRS).json()["id"]
    return services.evidence_hash_stored(evidence_id=item_id)


def test_a_manager_reads_metadata_hashes_and_custody_over_the_api(token_client, manager, item):
    api = token_client(manager, "evidence:read")
    record = api.get(f"/api/v1/evidence/{item.pk}/").json()
    assert (record["sha256"], record["sha1"], record["md5"]) == (item.sha256, item.sha1, item.md5)
    assert api.get(f"/api/v1/evidence/{item.pk}/custody/").status_code == 200
    listed = api.get(f"/api/v1/incidents/{item.incident_id}/evidence/").json()["results"]
    assert [row["id"] for row in listed] == [item.pk]


@pytest.mark.parametrize("query", ["", "?format=zip"])
def test_a_manager_gets_403_for_the_bytes_over_the_api(token_client, manager, item, query):
    api = token_client(manager, "evidence:read")
    response = api.get(f"/api/v1/evidence/{item.pk}/download/{query}")
    assert response.status_code == 403
    assert THEIRS not in response.content
    assert nothing_downloaded(item)


def test_a_manager_sees_the_item_page_with_hashes_but_no_download(client, manager, item):
    sign_in(client, manager)
    page = client.get(f"/evidence/{item.pk}/").content.decode()
    assert item.sha256 in page and item.md5 in page
    assert f'action="/evidence/{item.pk}/download/"' not in page
    assert client.post(f"/evidence/{item.pk}/download/").status_code == 403
    assert client.get(f"/evidence/{item.pk}/download/").status_code == 403
    assert nothing_downloaded(item)


def test_a_manager_is_refused_before_being_asked_for_a_code(manager, item):
    browser = Client()
    sign_in(browser, manager, step_up=False)
    assert browser.post(f"/evidence/{item.pk}/download/").status_code == 403


def test_the_download_service_refuses_a_manager(manager, item):
    with pytest.raises(PermissionDenied):
        release.evidence_downloaded(item=item, actor=manager, channel="api")
    assert nothing_downloaded(item)


# --- Who holds what ------------------------------------------------------------------

# (sees every item of an incident they see, may have the bytes)
EXPECTED = {
    "lead": (True, True),
    "responder": (True, True),
    "legal": (True, True),
    "auditor": (True, True),
    "manager": (True, False),
    "reporter": (False, True),  # the bytes of their own uploads only
}


@pytest.mark.parametrize("role", EXPECTED)
def test_the_evidence_permissions_of_each_role(make_member, role):
    person = make_member(role, username=f"{role}-checked")
    sees_all, bytes_ = EXPECTED[role]
    assert person.has_perm("evidence.view_evidenceitem") == sees_all
    assert person.has_perm("evidence.download_evidence") == bytes_
