"""Signing in and out in the browser, and the forced change of a one-time password."""

import re

import pytest
from django.test import Client

from accounts.models import User
from accounts.roles import Role
from accounts.services import member_save
from tests.incidents.test_views import assert_csp_safe

pytestmark = pytest.mark.django_db

PASSWORD = "a-Strong-passphrase-42"
NEW_PASSWORD = "another-Strong-phrase-77"
SESSION_USER_KEY = "_auth_user_id"


@pytest.fixture
def csrf_client():
    """A browser-like client: CSRF is checked, so every form must carry its token."""
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def person(db):
    user, _ = member_save(actor=None, username="nina", role=Role.RESPONDER, password=PASSWORD)
    return user


def csrf_token(response) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode())
    assert match, "the page has no CSRF token"
    return match.group(1)


def sign_in(client, username, password, next_url=None):
    page = client.get("/accounts/login/")
    data = {"username": username, "password": password, "csrfmiddlewaretoken": csrf_token(page)}
    if next_url:
        data["next"] = next_url
    return client.post("/accounts/login/", data)


def test_login_page_has_labelled_username_and_password_fields(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="username"' in body and 'name="password"' in body
    assert '<label for="id_username">' in body and '<label for="id_password">' in body
    assert 'autocomplete="current-password"' in body
    assert_csp_safe(response)


def test_sign_in_with_username_and_password(csrf_client, person):
    response = sign_in(csrf_client, "nina", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/incidents/"
    assert csrf_client.session[SESSION_USER_KEY] == str(person.pk)
    page = csrf_client.get("/incidents/")
    assert page.status_code == 200
    assert "nina" in page.content.decode()
    assert "responder" in page.content.decode()


def test_sign_in_returns_to_the_page_asked_for(csrf_client, person):
    response = sign_in(csrf_client, "nina", PASSWORD, next_url="/incidents/new/")
    assert response["Location"] == "/incidents/new/"


def test_sign_in_does_not_follow_a_next_url_to_another_site(csrf_client, person):
    response = sign_in(csrf_client, "nina", PASSWORD, next_url="https://evil.example/")
    assert response["Location"] == "/incidents/"


def test_wrong_password_shows_an_error_and_starts_no_session(csrf_client, person):
    response = sign_in(csrf_client, "nina", "not-the-password-1")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Please enter a correct username and password" in body
    assert 'role="alert"' in body
    assert SESSION_USER_KEY not in csrf_client.session
    assert csrf_client.get("/incidents/").status_code == 302


def test_sign_in_without_the_csrf_token_is_refused(csrf_client, person):
    response = csrf_client.post("/accounts/login/", {"username": "nina", "password": PASSWORD})
    assert response.status_code == 403
    assert SESSION_USER_KEY not in csrf_client.session


def test_logout_needs_a_post_and_ends_the_session(csrf_client, person):
    sign_in(csrf_client, "nina", PASSWORD)
    assert csrf_client.get("/accounts/logout/").status_code == 405
    assert csrf_client.session[SESSION_USER_KEY] == str(person.pk)

    page = csrf_client.get("/incidents/")
    assert 'action="/accounts/logout/"' in page.content.decode()
    response = csrf_client.post("/accounts/logout/", {"csrfmiddlewaretoken": csrf_token(page)})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert SESSION_USER_KEY not in csrf_client.session
    assert csrf_client.get("/incidents/").status_code == 302


def test_a_one_time_password_must_be_changed_before_anything_else(csrf_client):
    member_save(
        actor=None,
        username="otto",
        role=Role.LEAD,
        password=PASSWORD,
        must_change_password=True,
    )
    response = sign_in(csrf_client, "otto", PASSWORD)
    assert csrf_client.get(response["Location"])["Location"] == "/accounts/password/"
    assert csrf_client.get("/incidents/")["Location"] == "/accounts/password/"
    assert csrf_client.get("/incidents/new/")["Location"] == "/accounts/password/"

    page = csrf_client.get("/accounts/password/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Choose your own password" in body
    assert 'href="/incidents/new/"' not in body  # no links that would only bounce back here
    assert_csp_safe(page)

    response = csrf_client.post(
        "/accounts/password/",
        {
            "csrfmiddlewaretoken": csrf_token(page),
            "old_password": PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/incidents/"
    listing = csrf_client.get("/incidents/")
    assert listing.status_code == 200
    assert "Your password was changed." in listing.content.decode()

    otto = User.objects.get(username="otto")
    assert otto.must_change_password is False
    assert otto.check_password(NEW_PASSWORD)


def test_a_weak_or_mismatched_new_password_is_refused(csrf_client):
    member_save(
        actor=None, username="otto", role=Role.LEAD, password=PASSWORD, must_change_password=True
    )
    sign_in(csrf_client, "otto", PASSWORD)
    page = csrf_client.get("/accounts/password/")
    response = csrf_client.post(
        "/accounts/password/",
        {
            "csrfmiddlewaretoken": csrf_token(page),
            "old_password": PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD + "x",
        },
    )
    assert response.status_code == 200
    assert "The two password fields didn" in response.content.decode()
    assert csrf_client.get("/incidents/")["Location"] == "/accounts/password/"
