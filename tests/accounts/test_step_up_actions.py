"""The step-up page names the action it confirms, and the person comes back to that
action's page with it ready (accounts.twofactor.PendingAction): the name is kept in the
session, never taken from the address, and the ready control shows only with a fresh
code."""

import time

import pytest

from accounts.twofactor import STEP_UP_ACTION_SESSION_KEY, with_ready
from disclosures.services import disclosure_create, disclosure_edit, disclosure_submit
from tests.accounts.test_login import (  # noqa: F401 - fast_password_hashing is a fixture
    csrf_token,
    fast_password_hashing,
    fresh_totp_code,
    make_person,
    next_of,
)
from tests.accounts.test_stepup import set_step_up
from tests.conftest import sign_in
from tests.e2e.helpers import received_evidence

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]


@pytest.fixture
def item(settings, tmp_path, lead, incident):
    settings.EVIDENCE_ROOT = tmp_path / "vault"
    settings.EVIDENCE_STORAGE = "local"
    return received_evidence(incident, lead, b"bytes of a memory image", name="dump.raw")


@pytest.fixture
def stale(client, lead):
    device = sign_in(client, lead)
    set_step_up(client, time.time() - 3600)
    return device


def test_with_ready_replaces_the_marker_and_the_anchor():
    assert with_ready("/evidence/3/", "download") == "/evidence/3/?ready=download#ready"
    assert (
        with_ready("/incidents/4/?ready=x&tab=1#section-evidence", "export")
        == "/incidents/4/?tab=1&ready=export#ready"
    )


def test_a_stale_download_names_the_item_and_comes_back_with_the_download_ready(
    client, item, stale
):
    response = client.post(f"/evidence/{item.pk}/download/", {"format": "zip"})

    assert response.status_code == 302
    back = next_of(response["Location"])
    assert back == f"/evidence/{item.pk}/?ready=download-zip#ready"
    page = client.get(response["Location"]).content.decode()
    assert f"Download evidence #{item.pk} (dump.raw) as an encrypted zip" in page

    answer = client.post(
        "/accounts/step-up/",
        {"otp_token": fresh_totp_code(stale), "next": back, "csrfmiddlewaretoken": "x"},
    )
    assert answer.status_code == 302
    assert answer["Location"] == back
    assert STEP_UP_ACTION_SESSION_KEY not in client.session
    ready = client.get(back).content.decode()
    assert 'id="ready"' in ready
    assert "Download now" in ready


def test_the_step_up_page_does_not_take_the_action_name_from_the_address(client, item, stale):
    client.post(f"/evidence/{item.pk}/download/")
    page = client.get("/accounts/step-up/?next=/accounts/security/").content.decode()
    assert "Download evidence" not in page
    assert "return to the page you were on" in page


def test_the_ready_control_needs_a_fresh_step_up(client, item, stale):
    page = client.get(f"/evidence/{item.pk}/?ready=download").content.decode()
    assert "Download now" not in page
    set_step_up(client, time.time())
    page = client.get(f"/evidence/{item.pk}/?ready=download").content.decode()
    assert "Download now" in page


def test_a_json_caller_is_told_the_action_too(client, item, stale):
    response = client.post(
        f"/evidence/{item.pk}/download/", HTTP_ACCEPT="application/json", HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 401
    assert response.json()["action"] == f"Download evidence #{item.pk} (dump.raw)"


def test_a_stale_export_comes_back_to_the_evidence_section(client, item, stale):
    response = client.post(f"/evidence/incidents/{item.incident_id}/export/")
    assert next_of(response["Location"]) == f"/incidents/{item.incident_id}/?ready=export#ready"
    page = client.get(response["Location"]).content.decode()
    assert f"Export the evidence package of {item.incident.reference}" in page


@pytest.fixture
def submitted(incident, responder):
    disclosure = disclosure_create(
        incident=incident, actor=responder, audience="regulator", regime="none"
    )
    disclosure_edit(disclosure=disclosure, actor=responder, body="All facts confirmed.\n")
    return disclosure_submit(disclosure=disclosure, actor=responder)


def test_a_stale_approval_names_the_version_and_notice(client, manager, submitted):
    sign_in(client, manager)
    set_step_up(client, time.time() - 3600)
    response = client.post(f"/disclosures/{submitted.pk}/approve/")
    back = next_of(response["Location"])
    assert back == f"/disclosures/{submitted.pk}/?ready=approve#ready"
    page = client.get(response["Location"]).content.decode()
    reference = submitted.incident.reference
    assert f"Approve version 2 of the regulator notice ({reference})" in page
    set_step_up(client, time.time())
    ready = client.get(back).content.decode()
    assert 'class="ready-action"' in ready
    assert 'id="ready">Approve version 2</button>' in ready


def test_approving_out_of_sight_is_404_before_any_step_up(client, make_member, submitted):
    outsider = make_member("manager", username="outsider")
    submitted.incident.restricted = True
    submitted.incident.save()
    sign_in(client, outsider)
    set_step_up(client, time.time() - 3600)
    assert client.post(f"/disclosures/{submitted.pk}/approve/").status_code == 404
