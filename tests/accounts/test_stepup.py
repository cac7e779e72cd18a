"""Step-up: a sensitive action runs only within STEP_UP_MAX_AGE seconds of the last good
code. The time is kept in the server-side session; the client cannot make it fresh, an
interrupted POST is not replayed, and the way back never leaves the site."""

import json
import time
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import Client, RequestFactory

from accounts.models import UserSession
from accounts.twofactor import STEP_UP_SESSION_KEY, step_up_required
from audit.models import AuditEvent
from tests.accounts.test_login import (  # noqa: F401 - fast_password_hashing is a fixture
    NEW_PASSWORD,
    PASSWORD,
    csrf_token,
    fast_password_hashing,
    fresh_totp_code,
    full_sign_in,
    make_person,
    password_sign_in,
    post_code,
)
from tests.conftest import sign_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]

PROTECTED = "/accounts/password/"
UNAUTHORIZED = 401


def step_up_location(next_url: str) -> str:
    from urllib.parse import urlencode

    return f"/accounts/step-up/?{urlencode({'next': next_url})}"


def set_step_up(client, at: float | None) -> None:
    session = client.session
    if at is None:
        session.pop(STEP_UP_SESSION_KEY, None)
    else:
        session[STEP_UP_SESSION_KEY] = at
    session.save()


def change_password_form(page) -> dict:
    return {
        "csrfmiddlewaretoken": csrf_token(page),
        "old_password": PASSWORD,
        "new_password1": NEW_PASSWORD,
        "new_password2": NEW_PASSWORD,
    }


@pytest.fixture
def member(db):
    return make_person()


@pytest.fixture
def browser(member):
    """Signed in through the pages (password and a real code) a moment ago."""
    user, device = member
    client = Client(enforce_csrf_checks=True)
    full_sign_in(client, user, device)
    return client


# --- Fresh and stale ----------------------------------------------------------------


def test_right_after_the_code_a_protected_page_opens(browser):
    assert browser.get(PROTECTED).status_code == 200


def test_a_stale_step_up_is_sent_to_the_step_up_page(browser, settings):
    settings.STEP_UP_MAX_AGE = 60
    set_step_up(browser, time.time() - 61)
    response = browser.get(PROTECTED)
    assert response.status_code == 302
    assert response["Location"] == step_up_location(PROTECTED)


def test_a_step_up_counts_for_step_up_max_age_seconds(browser, settings):
    settings.STEP_UP_MAX_AGE = 60
    set_step_up(browser, time.time() - 55)
    assert browser.get(PROTECTED).status_code == 200
    set_step_up(browser, time.time() - 65)
    assert browser.get(PROTECTED)["Location"] == step_up_location(PROTECTED)


def test_a_session_that_never_stepped_up_is_sent_to_the_step_up_page(client, member):
    user, _ = member
    sign_in(client, user, step_up=False)
    assert client.get(PROTECTED)["Location"] == step_up_location(PROTECTED)


def test_a_step_up_time_in_the_future_does_not_count(browser):
    set_step_up(browser, time.time() + 3600)
    assert browser.get(PROTECTED)["Location"] == step_up_location(PROTECTED)


def test_a_refused_step_up_is_recorded(browser):
    set_step_up(browser, time.time() - 3600)
    browser.get(PROTECTED)
    event = AuditEvent.objects.filter(action="step_up.required").latest("id")
    assert event.outcome == "denied"


@pytest.mark.parametrize(
    "headers",
    [{"HTTP_HX_REQUEST": "true"}, {"HTTP_ACCEPT": "application/json"}],
    ids=["htmx", "json"],
)
def test_htmx_and_json_callers_get_401_with_a_reason_and_the_step_up_url(browser, headers):
    set_step_up(browser, time.time() - 3600)
    response = browser.get(PROTECTED, **headers)
    assert response.status_code == UNAUTHORIZED
    assert response["Content-Type"] == "application/json"
    body = json.loads(response.content)
    assert "step-up" in body["detail"]
    assert body["step_up_url"] == step_up_location(PROTECTED)
    assert response["HX-Redirect"] == body["step_up_url"]


def test_the_step_up_page_needs_a_second_factor_first(client, member):
    user, _ = member
    assert client.get("/accounts/step-up/")["Location"].startswith("/accounts/login/")
    password_sign_in(client, user.username, PASSWORD)
    assert client.get("/accounts/step-up/")["Location"].startswith("/accounts/verify/")


# --- The step-up itself ---------------------------------------------------------------


def test_a_fresh_code_on_the_step_up_page_leads_back_to_the_page(browser, member):
    _, device = member
    set_step_up(browser, time.time() - 3600)
    location = browser.get(PROTECTED)["Location"]

    page = browser.get(location)
    assert page.status_code == 200
    assert f'name="next" value="{PROTECTED}"' in page.content.decode()
    response = browser.post(
        "/accounts/step-up/",
        {
            "otp_token": fresh_totp_code(device),
            "next": PROTECTED,
            "csrfmiddlewaretoken": csrf_token(page),
        },
    )
    assert response.status_code == 302
    assert response["Location"] == PROTECTED
    assert browser.get(PROTECTED).status_code == 200
    assert time.time() - browser.session[STEP_UP_SESSION_KEY] < 5


def test_a_wrong_code_leaves_the_step_up_stale(browser, member):
    _, device = member
    set_step_up(browser, time.time() - 3600)
    wrong = f"{(int(fresh_totp_code(device)) + 1) % 1_000_000:06d}"
    response = post_code(browser, step_up_location(PROTECTED), wrong)
    assert response.status_code == 200
    assert browser.get(PROTECTED)["Location"] == step_up_location(PROTECTED)


# --- Nothing the client sends makes it fresh ------------------------------------------


def test_the_session_cookie_is_an_opaque_key_and_the_time_stays_on_the_server(browser):
    cookie = browser.cookies[django_settings.SESSION_COOKIE_NAME].value
    row = UserSession.objects.get(session_key=cookie)
    assert STEP_UP_SESSION_KEY in row.get_decoded()
    assert STEP_UP_SESSION_KEY not in cookie
    assert ":" not in cookie  # not a signed-cookie session carrying its own data


def test_no_cookie_header_or_parameter_makes_a_stale_step_up_fresh(browser):
    set_step_up(browser, time.time() - 3600)
    now = str(time.time())
    browser.cookies[STEP_UP_SESSION_KEY] = now
    browser.cookies["step_up_at"] = now
    for name in ("HTTP_X_STEP_UP_AT", "HTTP_CORDON_STEP_UP_AT", "HTTP_X_OTP_VERIFIED"):
        response = browser.get(f"{PROTECTED}?{STEP_UP_SESSION_KEY}={now}", **{name: now})
        assert response["Location"].startswith("/accounts/step-up/")
    page = browser.get("/accounts/step-up/")
    response = browser.post(
        PROTECTED,
        {**change_password_form(page), STEP_UP_SESSION_KEY: now},
        HTTP_X_STEP_UP_AT=now,
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/step-up/")


def test_a_forged_session_cookie_is_nobody(browser, member):
    """The only thing a client controls is the session key; a made-up one is a new,
    empty session (signed out), never a fresh step-up."""
    forged = Client()
    forged.cookies = SimpleCookie({django_settings.SESSION_COOKIE_NAME: "a" * 32})
    response = forged.get(PROTECTED)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not UserSession.objects.filter(session_key="a" * 32).exists()


# --- An interrupted POST is not replayed -------------------------------------------------


def test_a_post_interrupted_by_step_up_is_not_replayed(browser, member, settings):
    user, device = member
    page = browser.get(PROTECTED)
    set_step_up(browser, time.time() - 3600)

    response = browser.post(
        PROTECTED, change_password_form(page), HTTP_REFERER=f"http://testserver{PROTECTED}"
    )
    assert response.status_code == 302
    assert response["Location"] == step_up_location(PROTECTED)
    user.refresh_from_db()
    assert user.check_password(PASSWORD)

    back = post_code(browser, response["Location"], fresh_totp_code(device))
    assert back["Location"] == PROTECTED
    page = browser.get(back["Location"])
    assert page.status_code == 200  # the form again, to confirm
    user.refresh_from_db()
    assert user.check_password(PASSWORD), "the interrupted change was replayed"

    response = browser.post(PROTECTED, change_password_form(page))
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_an_interrupted_htmx_post_returns_to_the_page_htmx_runs_in(browser):
    page = browser.get(PROTECTED)
    set_step_up(browser, time.time() - 3600)
    response = browser.post(
        PROTECTED,
        change_password_form(page),
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL="http://testserver/incidents/?severity=high",
    )
    assert response.status_code == UNAUTHORIZED
    assert json.loads(response.content)["step_up_url"] == step_up_location(
        "/incidents/?severity=high"
    )


@pytest.mark.parametrize(
    "referer", [None, "https://evil.example/accounts/password/", "//evil.example/x"]
)
def test_an_interrupted_post_from_elsewhere_returns_home(browser, referer):
    page = browser.get(PROTECTED)
    set_step_up(browser, time.time() - 3600)
    headers = {"HTTP_REFERER": referer} if referer else {}
    response = browser.post(PROTECTED, change_password_form(page), **headers)
    assert response["Location"] == step_up_location("/")


# --- next never leaves the site ---------------------------------------------------------


@pytest.mark.parametrize(
    "evil",
    [
        "//evil.example",
        "https://evil.example",
        "https://evil.example/accounts/password/",
        "/\\evil.example",
        "http:evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
    ],
)
def test_next_never_redirects_off_site(browser, member, evil):
    _, device = member
    set_step_up(browser, time.time() - 3600)
    url = f"/accounts/step-up/?next={evil}"
    page = browser.get(url)
    assert "evil.example" not in page.content.decode()
    assert "javascript:" not in page.content.decode()
    response = browser.post(
        url,
        {
            "otp_token": fresh_totp_code(device),
            "next": evil,
            "csrfmiddlewaretoken": csrf_token(page),
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_next_may_carry_a_query_string_on_this_site(browser, member):
    _, device = member
    set_step_up(browser, time.time() - 3600)
    target = "/incidents/?severity=high&status=new"
    response = post_code(browser, step_up_location(target), fresh_totp_code(device), target)
    assert response["Location"] == target
    assert parse_qs(urlsplit(response["Location"]).query) == {
        "severity": ["high"],
        "status": ["new"],
    }


# --- The decorator on its own -------------------------------------------------------------


def test_the_decorator_runs_the_view_only_within_step_up_max_age(member, settings):
    settings.STEP_UP_MAX_AGE = 300
    user, _ = member
    calls = []

    @step_up_required
    def sensitive(request):
        calls.append(request.method)
        return HttpResponse("done")

    from django.contrib.sessions.backends.db import SessionStore

    def request_with(step_up_at, method="get"):
        request = getattr(RequestFactory(), method)("/sensitive/")
        request.user = user
        request.session = SessionStore()
        if step_up_at is not None:
            request.session[STEP_UP_SESSION_KEY] = step_up_at
        return request

    assert sensitive(request_with(None)).status_code == 302
    assert sensitive(request_with(time.time() - 301)).status_code == 302
    assert sensitive(request_with(time.time() - 301, "post")).status_code == 302
    assert calls == []
    assert sensitive(request_with(time.time() - 5)).content == b"done"
    assert calls == ["GET"]
    assert sensitive.requires_step_up is True

    anonymous = request_with(None)
    anonymous.user = AnonymousUser()
    assert sensitive(anonymous).status_code == 302
    assert calls == ["GET"]


# --- API token creation (CONTRACT.md: POST /accounts/security/tokens/ needs step-up) -------


@pytest.fixture
def token_create_url():
    """The contract's path, resolved: a missing route fails here, it is never skipped."""
    from django.urls import resolve

    path = "/accounts/security/tokens/"
    assert resolve(path).url_name == "token_create", "CONTRACT.md route is missing"
    return path


def test_creating_an_api_token_needs_a_fresh_step_up(browser, member, token_create_url):
    from accounts.models import ApiToken

    _, device = member
    form = {"name": "siem", "scopes": "incidents:read"}
    page = browser.get("/accounts/security/")
    form["csrfmiddlewaretoken"] = csrf_token(page)
    set_step_up(browser, time.time() - 3600)

    interrupted = browser.post(token_create_url, form)
    assert interrupted.status_code == 302
    assert urlsplit(interrupted["Location"]).path == "/accounts/step-up/"
    assert not ApiToken.objects.exists()

    htmx = browser.post(token_create_url, form, HTTP_HX_REQUEST="true")
    assert htmx.status_code == UNAUTHORIZED
    assert "step_up_url" in json.loads(htmx.content)
    assert not ApiToken.objects.exists()

    back = post_code(browser, interrupted["Location"], fresh_totp_code(device))
    assert back.status_code == 302
    assert browser.get(back["Location"]).status_code == 200
    assert not ApiToken.objects.exists(), "the interrupted token creation was replayed"

    assert browser.post(token_create_url, form).status_code == 201
    assert ApiToken.objects.count() == 1
