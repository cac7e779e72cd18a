"""Sessions: a new key at every step of signing in (no fixation), server-side rows that
logout and deactivation end, idle timeout and absolute lifetime, cookie flags, CSRF."""

import time
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from accounts.models import User, UserSession
from accounts.sessions import SESSION_STARTED_KEY, SessionStore
from accounts.twofactor import STEP_UP_SESSION_KEY
from incidents.models import Incident
from tests.accounts.test_login import (  # noqa: F401 - fast_password_hashing is a fixture
    NEW_PASSWORD,
    PASSWORD,
    SESSION_USER_KEY,
    csrf_token,
    fast_password_hashing,
    fresh_totp_code,
    full_sign_in,
    make_person,
    password_sign_in,
    post_code,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]

COOKIE = django_settings.SESSION_COOKIE_NAME


def session_key(client) -> str | None:
    cookie = client.cookies.get(COOKIE)
    return cookie.value if cookie else None


def row_exists(key) -> bool:
    return UserSession.objects.filter(session_key=key).exists()


@pytest.fixture
def member(db):
    return make_person()


@pytest.fixture
def browser(member):
    user, device = member
    client = Client(enforce_csrf_checks=True)
    full_sign_in(client, user, device)
    return client


def with_cookie(key: str) -> Client:
    """Another browser that presents `key` as its session cookie (a stolen or planted one)."""
    client = Client()
    client.cookies[COOKIE] = key
    return client


# --- Fixation -------------------------------------------------------------------------


def test_the_session_key_changes_at_password_code_and_step_up(member):
    user, device = member
    client = Client(enforce_csrf_checks=True)

    # An attacker plants a session they know in the victim's browser.
    planted = SessionStore()
    planted["planted"] = True
    planted.create()
    client.cookies[COOKIE] = planted.session_key
    keys = [planted.session_key]

    first = password_sign_in(client, "nina", PASSWORD)
    keys.append(session_key(client))
    post_code(client, first["Location"], fresh_totp_code(device))
    keys.append(session_key(client))

    session = client.session
    session[STEP_UP_SESSION_KEY] = time.time() - 3600
    session.save()
    post_code(client, "/accounts/step-up/?next=/incidents/", fresh_totp_code(device))
    keys.append(session_key(client))

    assert None not in keys
    assert len(set(keys)) == 4, keys
    for old in keys[:-1]:
        assert not row_exists(old), "an old session key still names a session"
        assert with_cookie(old).get("/incidents/").status_code == 302
    assert client.get("/incidents/").status_code == 200
    assert UserSession.objects.get(session_key=keys[-1]).user == user


def test_a_stolen_pre_login_key_gives_nothing_after_the_victim_signs_in(member):
    user, device = member
    victim = Client()
    victim.get("/accounts/login/")
    store = SessionStore()
    store.create()
    victim.cookies[COOKIE] = store.session_key
    attacker = with_cookie(store.session_key)

    full_sign_in(victim, user, device)
    assert victim.get("/incidents/").status_code == 200
    response = attacker.get("/incidents/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_session_row_knows_its_owner_address_and_browser(member):
    user, device = member
    client = Client(HTTP_USER_AGENT="Firefox/140 test", REMOTE_ADDR="192.0.2.44")
    full_sign_in(client, user, device)
    row = UserSession.objects.get(session_key=session_key(client))
    assert row.user == user
    assert row.ip == "192.0.2.44"
    assert row.user_agent == "Firefox/140 test"


# --- Logout and the server side ------------------------------------------------------------


def test_logout_deletes_the_session_row_and_the_old_cookie_is_dead(browser):
    key = session_key(browser)
    assert row_exists(key)
    page = browser.get("/incidents/")
    response = browser.post("/accounts/logout/", {"csrfmiddlewaretoken": csrf_token(page)})
    assert response.status_code == 302
    assert not row_exists(key)

    replay = with_cookie(key)
    response = replay.get("/incidents/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert SESSION_USER_KEY not in replay.session


def test_logout_without_the_csrf_token_is_refused_and_the_session_lives(browser):
    key = session_key(browser)
    assert browser.post("/accounts/logout/").status_code == 403
    assert row_exists(key)
    assert browser.get("/incidents/").status_code == 200


def test_a_deleted_session_row_ends_the_session(browser):
    UserSession.objects.filter(session_key=session_key(browser)).delete()
    assert browser.get("/incidents/")["Location"].startswith("/accounts/login/")


def test_a_deactivated_members_session_stops_working(browser, member):
    user, _ = member
    User.objects.filter(pk=user.pk).update(is_active=False)
    response = browser.get("/incidents/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_password_change_can_end_the_other_sessions(member):
    user, device = member
    laptop = Client()
    full_sign_in(laptop, user, device)
    phone = Client()
    full_sign_in(phone, user, device)
    laptop_key = session_key(laptop)

    page = phone.get("/accounts/password/")
    assert page.status_code == 200
    response = phone.post(
        "/accounts/password/",
        {
            "csrfmiddlewaretoken": csrf_token(page),
            "old_password": PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
            "end_other_sessions": "on",
        },
    )
    assert response.status_code == 302
    assert not row_exists(laptop_key)
    assert laptop.get("/incidents/")["Location"].startswith("/accounts/login/")
    assert phone.get("/incidents/").status_code == 200


# --- Idle timeout and absolute lifetime ---------------------------------------------------


def test_every_request_pushes_the_idle_expiry_forward(browser):
    key = session_key(browser)
    UserSession.objects.filter(session_key=key).update(
        expire_date=timezone.now() + timedelta(seconds=5)
    )
    assert browser.get("/incidents/").status_code == 200
    row = UserSession.objects.get(session_key=key)
    expected = timezone.now() + timedelta(seconds=django_settings.SESSION_IDLE_TIMEOUT)
    assert abs((row.expire_date - expected).total_seconds()) < 30


def test_an_idle_session_ends(browser):
    UserSession.objects.filter(session_key=session_key(browser)).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    response = browser.get("/incidents/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_cookie_lives_as_long_as_the_idle_timeout(member):
    user, _ = member
    client = Client()
    first = password_sign_in(client, user.username, PASSWORD)
    cookie = first.cookies[COOKIE]
    assert int(cookie["max-age"]) == django_settings.SESSION_IDLE_TIMEOUT


def test_a_busy_session_still_ends_at_its_absolute_lifetime(browser):
    key = session_key(browser)
    session = browser.session
    session[SESSION_STARTED_KEY] = time.time() - django_settings.SESSION_ABSOLUTE_LIFETIME - 1
    session.save()

    response = browser.get("/incidents/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/incidents/"
    assert not row_exists(key)
    assert SESSION_USER_KEY not in browser.session
    login = browser.get(response["Location"])
    assert "Your session ended. Please sign in again." in login.content.decode()


def test_the_absolute_lifetime_is_a_setting(browser, settings):
    settings.SESSION_ABSOLUTE_LIFETIME = 60
    session = browser.session
    session[SESSION_STARTED_KEY] = time.time() - 50
    session.save()
    assert browser.get("/incidents/").status_code == 200
    session = browser.session
    session[SESSION_STARTED_KEY] = time.time() - 70
    session.save()
    assert browser.get("/incidents/")["Location"].startswith("/accounts/login/")


def test_the_absolute_lifetime_counts_from_sign_in_not_from_the_code(member, settings):
    user, device = member
    settings.SESSION_ABSOLUTE_LIFETIME = 60
    client = Client()
    password_sign_in(client, user.username, PASSWORD)
    session = client.session
    session[SESSION_STARTED_KEY] = time.time() - 70
    session.save()
    response = client.post("/accounts/verify/", {"otp_token": fresh_totp_code(device)})
    assert response["Location"].startswith("/accounts/login/")
    device.refresh_from_db()
    assert device.last_t == -1, "the code was spent on an ended session"
    assert client.get("/incidents/")["Location"].startswith("/accounts/login/")


def test_an_ended_session_sends_htmx_to_login_as_a_whole_page(browser):
    session = browser.session
    session[SESSION_STARTED_KEY] = time.time() - django_settings.SESSION_ABSOLUTE_LIFETIME - 1
    session.save()
    response = browser.get(
        "/incidents/",
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL="http://testserver/incidents/",
    )
    assert response.status_code == 401
    assert response["HX-Redirect"] == "/accounts/login/?next=/incidents/"


def test_a_session_without_a_start_time_is_not_trusted(member):
    """A session made some other way than signing in (here: by hand) has no start."""
    user, _ = member
    forged = SessionStore()
    forged[SESSION_USER_KEY] = str(user.pk)
    forged["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    forged["_auth_user_hash"] = user.get_session_auth_hash()
    forged.create()
    client = with_cookie(forged.session_key)
    assert client.get("/incidents/")["Location"].startswith("/accounts/login/")


# --- Cookie flags and CSRF --------------------------------------------------------------


def test_the_session_cookie_is_http_only_and_same_site_lax(member):
    user, _ = member
    client = Client()
    response = password_sign_in(client, user.username, PASSWORD)
    cookie = response.cookies[COOKIE]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == "/"
    csrf_cookie = client.cookies[django_settings.CSRF_COOKIE_NAME]
    assert csrf_cookie["httponly"] is True
    assert csrf_cookie["samesite"] == "Lax"


@pytest.mark.parametrize(
    "path", ["/accounts/login/", "/accounts/verify/", "/accounts/step-up/", "/accounts/password/"]
)
def test_account_forms_without_the_csrf_token_are_refused(browser, member, path):
    user, device = member
    response = browser.post(
        path,
        {
            "username": user.username,
            "password": PASSWORD,
            "otp_token": fresh_totp_code(device),
            "old_password": PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 403
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


def test_a_write_without_the_csrf_token_is_refused_and_changes_nothing(browser, member):
    from tests.factories import IncidentFactory

    incident = IncidentFactory(reporter=member[0])
    response = browser.post(f"/incidents/{incident.pk}/status/", {"status": "triage"})
    assert response.status_code == 403
    incident.refresh_from_db()
    assert incident.status == "new"

    response = browser.post("/incidents/new/", {"title": "Forged", "severity": "low"})
    assert response.status_code == 403
    assert not Incident.objects.filter(title="Forged").exists()


def test_a_csrf_token_from_another_session_does_not_work(browser, member):
    from tests.factories import IncidentFactory

    incident = IncidentFactory(reporter=member[0])
    stranger = Client(enforce_csrf_checks=True)
    foreign_token = csrf_token(stranger.get("/accounts/login/"))
    response = browser.post(
        f"/incidents/{incident.pk}/status/",
        {"status": "triage", "csrfmiddlewaretoken": foreign_token},
    )
    assert response.status_code == 403
    incident.refresh_from_db()
    assert incident.status == "new"
