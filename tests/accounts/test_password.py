"""Password reset by e-mailed link through HTTP: the form reveals nothing about who has an
account, the link works once, every session ends, and signing in still needs the second
factor afterwards."""

import re

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from accounts.roles import Role
from accounts.services import member_save
from audit.models import AuditEvent
from tests.conftest import sign_in
from tests.incidents.test_views import assert_csp_safe

pytestmark = pytest.mark.django_db

RESET = "/accounts/password/reset/"
OLD_PASSWORD = "a-Strong-passphrase-42"
NEW_PASSWORD = "another-Strong-phrase-77"
LINK = re.compile(
    re.escape(django_settings.SITE_URL) + r"(/accounts/password/reset/[^/\s]+/[^/\s]+/)"
)


def text(response) -> str:
    return response.content.decode()


@pytest.fixture(autouse=True)
def _mail_in_memory(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def nina(db):
    user, _ = member_save(
        actor=None,
        username="nina",
        role=Role.RESPONDER,
        email="nina@example.org",
        password=OLD_PASSWORD,
        must_change_password=True,
    )
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return user


def ask_for_link(client, email="nina@example.org"):
    return client.post(RESET, {"email": email})


def link_from_mail() -> str:
    return LINK.search(mail.outbox[-1].body).group(1)


def set_new_password(client, link, password=NEW_PASSWORD):
    """Follow the e-mailed link (Django moves the token into the session) and post the form."""
    landing = client.get(link)
    assert landing.status_code == 302
    form_url = landing["Location"]
    page = client.get(form_url)
    assert page.status_code == 200
    return client.post(form_url, {"new_password1": password, "new_password2": password})


def test_login_page_links_to_password_reset(client):
    body = text(client.get("/accounts/login/"))
    assert f'href="{RESET}"' in body and "Forgot your password?" in body


def test_reset_form_is_open_without_signing_in(client):
    response = client.get(RESET)
    assert response.status_code == 200
    assert 'name="email"' in text(response)
    assert_csp_safe(response)


def test_password_reset_by_e_mail_end_to_end_still_needs_the_second_factor(nina):
    signed_in_elsewhere = Client()
    sign_in(signed_in_elsewhere, nina)
    browser = Client()

    response = ask_for_link(browser)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/done/"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["nina@example.org"]

    response = set_new_password(browser, link_from_mail())

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/complete/"
    nina.refresh_from_db()
    assert nina.check_password(NEW_PASSWORD)
    assert nina.must_change_password is False
    assert AuditEvent.objects.filter(action="password.reset", actor=nina).exists()
    # Not signed in by the reset, and every session it had is over.
    assert "_auth_user_id" not in browser.session
    assert browser.get("/incidents/")["Location"].startswith("/accounts/login/")
    assert signed_in_elsewhere.get("/incidents/")["Location"].startswith("/accounts/login/")

    # The new password opens only the first door: the second factor is still asked for.
    response = browser.post("/accounts/login/", {"username": "nina", "password": NEW_PASSWORD})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/verify/")
    assert browser.get("/incidents/")["Location"].startswith("/accounts/verify/")


def test_a_reset_link_works_once(nina):
    browser = Client()
    ask_for_link(browser)
    link = link_from_mail()
    set_new_password(browser, link)

    again = Client()
    page = again.get(link)
    assert page.status_code == 200
    assert "not valid any more" in text(page)
    assert 'name="new_password1"' not in text(page)
    nina.refresh_from_db()
    assert nina.check_password(NEW_PASSWORD)


def test_a_forged_reset_link_is_refused(nina):
    page = Client().get("/accounts/password/reset/MQ/forged-token/")
    assert "not valid any more" in text(page)
    assert 'name="new_password1"' not in text(page)


def test_reset_form_answers_identically_for_known_and_unknown_e_mail(nina):
    known = ask_for_link(Client(), "nina@example.org")
    unknown = ask_for_link(Client(), "nobody@example.org")

    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert text(Client().get(known["Location"])) == text(Client().get(unknown["Location"]))
    assert len(mail.outbox) == 1


def test_a_weak_new_password_is_refused(nina):
    browser = Client()
    ask_for_link(browser)
    response = set_new_password(browser, link_from_mail(), password="password1234")
    assert response.status_code == 200
    assert "too common" in text(response)
    nina.refresh_from_db()
    assert nina.check_password(OLD_PASSWORD)


def test_an_invitee_who_never_chose_a_password_gets_no_reset_link(db):
    member_save(actor=None, username="ines", role=Role.RESPONDER, email="ines@example.org")
    response = ask_for_link(Client(), "ines@example.org")
    assert response.status_code == 302
    assert mail.outbox == []
    assert not User.objects.get(username="ines").has_usable_password()
