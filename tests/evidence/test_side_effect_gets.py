"""Downloads and exports write custody events, so a link on another site must not make a
signed-in person download evidence they did not choose (issue 14, finding 2).

The pages offer POST forms (with the CSRF token); a GET whose Fetch Metadata says it
came from another site (or a sibling site) is refused before anything is written; a
GET without Fetch Metadata (curl, the CLI, scripts) and one from Cordon's own pages or
the address bar still works (CONTRACT.md: /evidence/<id>/download/).
"""

import re
import time

import pytest
from django.test import Client

from accounts.twofactor import STEP_UP_SESSION_KEY
from audit.models import AuditEvent
from evidence import services
from evidence.models import Action
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db

DATA = b"stolen mailbox export\n" * 50
FOREIGN_SITES = ["cross-site", "same-site"]


def navigation_from(site: str) -> dict:
    """What a browser sends when someone follows a link (top-level navigation)."""
    return {"Sec-Fetch-Site": site, "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}


@pytest.fixture
def item(token_client, responder, incident, push):
    item_id = push(token_client(responder, "evidence:write"), incident, DATA).json()["id"]
    return services.evidence_hash_stored(evidence_id=item_id)


def download_url(item) -> str:
    return f"/evidence/{item.pk}/download/"


def export_url(incident) -> str:
    return f"/evidence/incidents/{incident.pk}/export/"


def nothing_left_the_vault(item) -> bool:
    return (
        not item.custody.filter(action__in=[Action.DOWNLOADED, Action.EXPORTED]).exists()
        and not AuditEvent.objects.filter(
            action__in=["evidence.downloaded", "evidence.exported"]
        ).exists()
    )


@pytest.mark.parametrize("site", FOREIGN_SITES)
@pytest.mark.parametrize("query", ["", "?format=zip"])
def test_a_download_link_on_another_site_is_refused_and_records_nothing(
    client, responder, item, site, query
):
    sign_in(client, responder)
    response = client.get(download_url(item) + query, headers=navigation_from(site))
    assert response.status_code == 403
    assert DATA not in response.content
    assert nothing_left_the_vault(item)


@pytest.mark.parametrize("site", FOREIGN_SITES)
def test_an_export_link_on_another_site_is_refused_and_records_nothing(
    client, responder, incident, item, site
):
    sign_in(client, responder)
    response = client.get(export_url(incident), headers=navigation_from(site))
    assert response.status_code == 403
    assert nothing_left_the_vault(item)


def test_the_refusal_says_why_and_offers_to_continue_from_cordon(client, responder, item):
    sign_in(client, responder)
    page = client.get(download_url(item), headers=navigation_from("cross-site")).content.decode()
    assert "another site" in page
    assert f'href="/evidence/{item.pk}/"' in page  # back to the item, where the button is


@pytest.mark.parametrize("site", ["same-origin", "none", None])
def test_own_pages_the_address_bar_and_clients_without_fetch_metadata_still_download(
    client, responder, item, site
):
    sign_in(client, responder)
    headers = navigation_from(site) if site else {}
    response = client.get(download_url(item), headers=headers)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == DATA
    assert item.custody.filter(action=Action.DOWNLOADED).count() == 1


def test_the_cli_token_download_over_the_api_still_works(token_client, responder, item):
    response = token_client(responder, "evidence:read").get(f"/api/v1/evidence/{item.pk}/download/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == DATA


def _csrf_client(user, *, step_up=True) -> Client:
    browser = Client(enforce_csrf_checks=True)
    sign_in(browser, user, step_up=step_up)
    return browser


def _form_on(page: str, action: str) -> dict:
    """The fields of the POST form on `page` whose action is `action`."""
    match = re.search(
        rf'<form method="post" action="{re.escape(action)}"[^>]*>(.*?)</form>', page, re.S
    )
    assert match, f"no POST form to {action}"
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', match[1]))


def test_the_item_page_offers_the_downloads_as_post_forms_with_the_csrf_token(responder, item):
    browser = _csrf_client(responder)
    page = browser.get(f"/evidence/{item.pk}/").content.decode()
    assert f'href="{download_url(item)}' not in page  # no GET link that downloads

    raw = _form_on(page, download_url(item))
    assert "csrfmiddlewaretoken" in raw
    response = browser.post(download_url(item), raw, headers={"Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == DATA

    zipped = re.findall(
        rf'<form method="post" action="{re.escape(download_url(item))}"[^>]*>(.*?)</form>',
        page,
        re.S,
    )
    assert any('name="format" value="zip"' in form for form in zipped)
    response = browser.post(download_url(item), {**raw, "format": "zip"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    event = item.custody.filter(action=Action.DOWNLOADED).last()
    assert event.data == {"channel": "browser", "format": "zip"}


def test_a_download_post_without_the_csrf_token_is_refused(responder, item):
    browser = _csrf_client(responder)
    assert browser.post(download_url(item)).status_code == 403
    assert nothing_left_the_vault(item)


def test_a_download_post_without_a_fresh_step_up_goes_through_step_up_back_to_the_page(
    responder, item, settings
):
    browser = _csrf_client(responder, step_up=False)
    session = browser.session
    session[STEP_UP_SESSION_KEY] = time.time() - settings.STEP_UP_MAX_AGE - 1
    session.save()
    page_url = f"http://testserver/evidence/{item.pk}/"
    fields = _form_on(browser.get(page_url).content.decode(), download_url(item))

    response = browser.post(download_url(item), fields, headers={"Referer": page_url})

    assert response.status_code == 302
    # Back to the page with the download ready to press (accounts.twofactor.PendingAction).
    assert response["Location"] == (
        f"/accounts/step-up/?next=%2Fevidence%2F{item.pk}%2F%3Fready%3Ddownload%23ready"
    )
    assert nothing_left_the_vault(item)


def test_the_incident_page_offers_the_export_as_a_post_form(responder, incident, item):
    browser = _csrf_client(responder)
    page = browser.get(f"/incidents/{incident.pk}/").content.decode()
    assert f'href="{export_url(incident)}"' not in page
    fields = _form_on(page, export_url(incident))
    assert "csrfmiddlewaretoken" in fields

    response = browser.post(export_url(incident), fields)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    b"".join(response.streaming_content)
    assert item.custody.get(action=Action.EXPORTED).data["channel"] == "browser"


def test_an_export_post_without_a_fresh_step_up_goes_through_step_up_back_to_the_page(
    responder, incident, item
):
    browser = _csrf_client(responder, step_up=False)
    page_url = f"http://testserver/incidents/{incident.pk}/"
    fields = _form_on(browser.get(page_url).content.decode(), export_url(incident))

    response = browser.post(export_url(incident), fields, headers={"Referer": page_url})

    assert response.status_code == 302
    assert response["Location"] == (
        f"/accounts/step-up/?next=%2Fincidents%2F{incident.pk}%2F%3Fready%3Dexport%23ready"
    )
    assert nothing_left_the_vault(item)


def test_a_code_given_on_a_step_up_link_from_elsewhere_leads_to_the_item_page_not_the_download(
    responder, item
):
    """Another site may link to /accounts/step-up/?next=<the download>; after the code the
    person lands on the item page and downloads only if they press the button there."""
    from tests.accounts.test_login import fresh_totp_code, post_code

    browser = Client(enforce_csrf_checks=True)
    device = sign_in(browser, responder, step_up=False)
    step_up = f"/accounts/step-up/?next={download_url(item)}"

    response = post_code(browser, step_up, fresh_totp_code(device), download_url(item))

    assert response.status_code == 302
    assert response["Location"] == f"/evidence/{item.pk}/"
    assert nothing_left_the_vault(item)


def test_signing_in_from_a_download_link_leads_to_the_item_page(responder, item, settings):
    from tests.accounts.test_login import full_sign_in

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    responder.set_password("Tide-pool-lantern-58")
    responder.save()
    device = sign_in(Client(), responder)  # an authenticator to give the code from
    browser = Client(enforce_csrf_checks=True)

    response = full_sign_in(
        browser, responder, device, password="Tide-pool-lantern-58", next_url=download_url(item)
    )

    assert response["Location"] == f"/evidence/{item.pk}/"
    assert nothing_left_the_vault(item)
