"""The one-time links e-mailed from a page (invitation, second-factor reset, address
verification, password reset) start with SITE_URL: whatever Host header the request
carried, it never reaches the message, so nobody can steer a link (and its token) to a
host of their own by asking from a strange name."""

import pytest
from django.core import mail
from django.test import Client

from accounts.roles import Role
from notifications.models import Notification
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db

HOSTILE_HOST = "cordon.attacker.example"
PASSWORD = "a-Strong-passphrase-42"


@pytest.fixture(autouse=True)
def _hostile_host_is_accepted(settings):
    """As if the server answered any name (ALLOWED_HOSTS too wide, a catch-all proxy):
    the link must not depend on that being right."""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, HOSTILE_HOST]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def hostile_client(user=None) -> Client:
    client = Client(HTTP_HOST=HOSTILE_HOST)
    if user is not None:
        sign_in(client, user)
    return client


def assert_not_steered(subject: str, text: str, html: str, link_path: str, settings) -> None:
    for part in (subject, text, html):
        assert HOSTILE_HOST not in part
    assert f"{settings.SITE_URL}{link_path}" in text
    assert f'href="{settings.SITE_URL}{link_path}' in html


def last_queued() -> Notification:
    return Notification.objects.order_by("-pk").first()


def test_an_invitation_link_ignores_the_host_header(lead, settings):
    response = hostile_client(lead).post(
        "/accounts/members/invite/",
        {"username": "ines", "email": "ines@example.org", "role": Role.RESPONDER},
    )
    assert response.status_code == 302
    message = last_queued()
    assert message.to_address == "" and message.recipient.username == "ines"
    assert_not_steered(
        message.subject, message.body, message.html_body, "/accounts/invitation/", settings
    )


def test_a_second_factor_reset_link_ignores_the_host_header(lead, make_member, settings):
    person = make_member(Role.RESPONDER, username="nina", password=PASSWORD)
    response = hostile_client(lead).post(f"/accounts/members/{person.pk}/factor-reset/")
    assert response.status_code == 302
    message = last_queued()
    assert message.recipient == person
    assert_not_steered(
        message.subject, message.body, message.html_body, "/accounts/factor-reset/", settings
    )


def test_an_address_verification_link_ignores_the_host_header(responder, settings):
    response = hostile_client(responder).post(
        "/accounts/security/email/", {"email": "rick.new@example.org"}
    )
    assert response.status_code == 302
    message = Notification.objects.get(to_address="rick.new@example.org")
    assert_not_steered(
        message.subject, message.body, message.html_body, "/accounts/email/verify/", settings
    )
    warning = Notification.objects.get(recipient=responder, to_address="")
    assert HOSTILE_HOST not in warning.body + warning.html_body


def test_a_password_reset_link_ignores_the_host_header(make_member, settings):
    make_member(Role.RESPONDER, username="nina", email="nina@example.org", password=PASSWORD)
    response = hostile_client().post("/accounts/password/reset/", {"email": "nina@example.org"})
    assert response.status_code == 302
    (sent,) = mail.outbox
    html = next(content for content, kind in sent.alternatives if kind == "text/html")
    assert_not_steered(sent.subject, sent.body, html, "/accounts/password/reset/", settings)
