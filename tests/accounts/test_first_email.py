"""At first sign-in a person without an e-mail address (the first lead) is asked for one
right after enrolling; leads reach templates and webhooks from the navigation."""

import pytest

from notifications.models import Notification
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db

PAGE = "/accounts/email/first/"


def test_without_an_address_the_page_asks_for_one(client, make_member):
    lead = make_member("lead", username="first-lead", email="")
    sign_in(client, lead)
    page = client.get(PAGE)
    assert page.status_code == 200
    assert 'type="email"' in page.content.decode()

    response = client.post(PAGE, {"email": "first.lead@example.org"})

    assert response.status_code == 302
    assert response["Location"] == "/incidents/"
    assert Notification.objects.filter(recipient=lead, to_address="first.lead@example.org")
    lead.refresh_from_db()
    assert lead.email == ""  # it becomes theirs when they follow the link


def test_a_wrong_address_is_shown_again_with_the_error(client, make_member):
    lead = make_member("lead", username="first-lead", email="")
    sign_in(client, lead)
    response = client.post(PAGE, {"email": "not an address"})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'aria-invalid="true"' in html
    assert 'value="not an address"' in html


def test_with_an_address_there_is_nothing_to_ask(client, lead):
    sign_in(client, lead)
    assert client.get(PAGE)["Location"] == "/incidents/"


@pytest.mark.parametrize(("role", "shown"), [("lead", True), ("responder", False)])
def test_leads_reach_templates_and_webhooks_from_the_navigation(client, make_member, role, shown):
    sign_in(client, make_member(role, username=f"a-{role}"))
    nav = client.get("/").content.decode().split('<nav class="site-nav"')[1].split("</nav>")[0]
    assert ('href="/disclosures/templates/"' in nav) is shown
    assert ('href="/webhooks/"' in nav) is shown
