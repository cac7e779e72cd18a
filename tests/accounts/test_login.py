"""Signing in through HTTP: password, then the second factor before any page; no account
enumeration; the failed-attempts notice; signing out; the forced change of a one-time
password.

The helpers at the top are shared by the other sign-in tests (tests/accounts/test_*.py).
"""

import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import LoginAttempt, User
from accounts.roles import Role
from accounts.services import member_save
from tests.incidents.test_views import assert_csp_safe

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]

PASSWORD = "a-Strong-passphrase-42"
NEW_PASSWORD = "another-Strong-phrase-77"
SESSION_USER_KEY = "_auth_user_id"
WRONG_CREDENTIALS = "Please enter a correct username and password"


# --- Helpers (shared with the other sign-in tests) -------------------------------


def csrf_token(response) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode())
    assert match, "the page has no CSRF token"
    return match.group(1)


def password_sign_in(client, username, password, next_url=None, **headers):
    """The first step, as a browser does it: load the form, post it with its CSRF token."""
    page = client.get("/accounts/login/", **headers)
    data = {"username": username, "password": password, "csrfmiddlewaretoken": csrf_token(page)}
    if next_url:
        data["next"] = next_url
    return client.post("/accounts/login/", data, **headers)


def make_person(username="nina", *, role=Role.RESPONDER, device=True, password=PASSWORD):
    """A member with a password and, unless device=False, a confirmed authenticator."""
    user, _ = member_save(actor=None, username=username, role=role, password=password)
    if not device:
        return user, None
    return user, TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)


def allow_first_enrolment(client, user, via="invitation") -> None:
    """Mark the client's signed-in session as come through a first-enrolment path, as the
    invitation page, a one-time password or a lead's second-factor reset do (those real
    paths are tested in tests/accounts/test_device_rules.py and test_factor_reset.py)."""
    from accounts.twofactor import FIRST_ENROLMENT_SESSION_KEY

    session = client.session
    session[FIRST_ENROLMENT_SESSION_KEY] = {"user": user.pk, "via": via}
    session.save()


def totp_code(device, *, steps_ahead: int = 0) -> str:
    """The code the person's authenticator app shows now (or `steps_ahead` steps later)."""
    device.refresh_from_db()
    code = totp(
        device.bin_key,
        step=device.step,
        t0=device.t0,
        digits=device.digits,
        drift=device.drift + steps_ahead,
    )
    return f"{code:0{device.digits}d}"


def fresh_totp_code(device) -> str:
    """A code the device has not accepted yet: the current one, or the next step's one
    when the current step was used already (the device tolerates one step of drift)."""
    device.refresh_from_db()
    now_t = (int(time.time()) - device.t0) // device.step + device.drift
    ahead = max(0, device.last_t + 1 - now_t)
    assert ahead <= device.tolerance, "no fresh code within the device's tolerance"
    return totp_code(device, steps_ahead=ahead)


def post_code(client, url, code, next_url=None, **headers):
    page = client.get(url, **headers)
    assert page.status_code == 200, page
    data = {"otp_token": code, "csrfmiddlewaretoken": csrf_token(page)}
    if next_url is not None:
        data["next"] = next_url
    return client.post(url, data, **headers)


def full_sign_in(client, user, device, password=PASSWORD, next_url=None):
    """Password and a real TOTP code, through the pages. Returns the answer to the code."""
    first = password_sign_in(client, user.username, password, next_url=next_url)
    assert first.status_code == 302 and first["Location"].startswith("/accounts/verify/")
    response = post_code(client, first["Location"], fresh_totp_code(device))
    assert response.status_code == 302, response
    return response


def next_of(location: str) -> str:
    return parse_qs(urlsplit(location).query)["next"][0]


@pytest.fixture
def fast_password_hashing(settings):
    """Argon2 at production cost takes half a second a try; these tests make hundreds.
    What they check (who may sign in, and when) does not depend on the hasher."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def csrf_client():
    """A browser-like client: CSRF is checked, so every form must carry its token."""
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def person(db):
    return make_person()[0]


@pytest.fixture
def device(person):
    return TOTPDevice.objects.get(user=person)


# --- The password step -----------------------------------------------------------


def test_login_page_has_labelled_username_and_password_fields(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="username"' in body and 'name="password"' in body
    assert '<label for="id_username">' in body and '<label for="id_password">' in body
    assert 'autocomplete="current-password"' in body
    assert_csp_safe(response)


def test_the_password_leads_to_the_code_page_when_the_person_has_a_device(csrf_client, device):
    response = password_sign_in(csrf_client, "nina", PASSWORD, next_url="/incidents/new/")
    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == "/accounts/verify/"
    assert next_of(response["Location"]) == "/incidents/new/"
    assert csrf_client.session[SESSION_USER_KEY] == str(device.user_id)

    page = csrf_client.get(response["Location"])
    assert page.status_code == 200
    body = page.content.decode()
    assert 'name="otp_token"' in body
    assert 'autocomplete="one-time-code"' in body
    assert 'name="next" value="/incidents/new/"' in body
    assert_csp_safe(page)


def test_the_password_leads_to_enrolment_when_the_person_has_no_device(csrf_client):
    make_person("noah", device=False)
    response = password_sign_in(csrf_client, "noah", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/setup/"


def test_with_backup_codes_left_but_no_authenticator_the_password_leads_to_verify(csrf_client):
    from accounts.services import backup_codes_regenerate

    noah, _ = make_person("noah", device=False)
    backup_codes_regenerate(user=noah, actor=noah)
    response = password_sign_in(csrf_client, "noah", PASSWORD)
    assert urlsplit(response["Location"]).path == "/accounts/verify/"


@pytest.mark.parametrize(
    "path", ["/incidents/", "/incidents/new/", "/admin/", "/admin/accounts/user/", "/"]
)
def test_until_the_code_every_page_sends_the_person_to_verify(csrf_client, device, path):
    password_sign_in(csrf_client, "nina", PASSWORD)
    response = csrf_client.get(path)
    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == "/accounts/verify/"
    assert next_of(response["Location"]) == path


def test_until_the_code_an_incident_page_is_out_of_reach(csrf_client, device, make_incident):
    incident = make_incident(reporter=device.user)
    password_sign_in(csrf_client, "nina", PASSWORD)
    response = csrf_client.get(f"/incidents/{incident.pk}/")
    assert response.status_code == 302
    assert next_of(response["Location"]) == f"/incidents/{incident.pk}/"
    assert incident.title not in response.content.decode()


def test_until_the_code_a_write_is_refused_and_changes_nothing(csrf_client, device, make_incident):
    incident = make_incident(reporter=device.user)
    password_sign_in(csrf_client, "nina", PASSWORD)
    token = csrf_client.cookies["csrftoken"].value
    response = csrf_client.post(
        f"/incidents/{incident.pk}/status/", {"status": "triage", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == "/accounts/verify/"
    incident.refresh_from_db()
    assert incident.status == "new"


def test_until_the_code_htmx_is_sent_to_verify_as_a_whole_page(csrf_client, device, make_incident):
    incident = make_incident(reporter=device.user)
    password_sign_in(csrf_client, "nina", PASSWORD)
    response = csrf_client.get(
        f"/incidents/{incident.pk}/",
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL=f"http://testserver/incidents/{incident.pk}/",
    )
    assert response.status_code == 401
    assert urlsplit(response["HX-Redirect"]).path == "/accounts/verify/"
    assert next_of(response["HX-Redirect"]) == f"/incidents/{incident.pk}/"


@pytest.mark.parametrize("path", ["/incidents/", "/admin/", "/accounts/verify/"])
def test_without_a_device_every_page_sends_the_person_to_enrolment(csrf_client, path):
    make_person("noah", device=False)
    password_sign_in(csrf_client, "noah", PASSWORD)
    response = csrf_client.get(path)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/setup/"


def test_health_static_files_and_the_login_page_stay_open(csrf_client, device):
    anonymous = Client()
    assert anonymous.get("/accounts/login/").status_code == 200
    assert anonymous.get("/healthz").status_code == 200
    assert anonymous.get("/static/css/cordon.css").status_code == 200

    password_sign_in(csrf_client, "nina", PASSWORD)
    assert csrf_client.get("/healthz").status_code == 200
    assert csrf_client.get("/static/js/cordon.js").status_code == 200
    assert csrf_client.get("/accounts/verify/").status_code == 200


def test_a_correct_code_opens_the_page_asked_for(csrf_client, device):
    first = password_sign_in(csrf_client, "nina", PASSWORD, next_url="/incidents/new/")
    response = post_code(csrf_client, first["Location"], totp_code(device), "/incidents/new/")
    assert response.status_code == 302
    assert response["Location"] == "/incidents/new/"
    page = csrf_client.get("/incidents/new/")
    assert page.status_code == 200
    assert "nina" in page.content.decode()
    assert csrf_client.get("/incidents/").status_code == 200


def test_signing_in_without_a_next_lands_on_the_incident_list(csrf_client, device):
    response = full_sign_in(csrf_client, device.user, device)
    assert response["Location"] == "/incidents/"
    page = csrf_client.get("/incidents/")
    assert page.status_code == 200
    assert "responder" in page.content.decode()


@pytest.mark.parametrize(
    "evil",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "http://testserver@evil.example/",
    ],
)
def test_signing_in_never_follows_a_next_url_to_another_site(csrf_client, device, evil):
    first = password_sign_in(csrf_client, "nina", PASSWORD, next_url=evil)
    assert "evil.example" not in first["Location"]
    response = post_code(csrf_client, "/accounts/verify/", totp_code(device), next_url=evil)
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]
    assert response["Location"].startswith("/")
    assert not response["Location"].startswith("//")


# --- No account enumeration --------------------------------------------------------


def _normalised(response, typed_username: str) -> str:
    body = response.content.decode()
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", body)
    return body.replace(f'value="{typed_username}"', 'value="TYPED"')


def test_wrong_password_unknown_user_and_deactivated_account_read_alike(csrf_client, person):
    gone, _ = make_person("gone")
    gone.is_active = False
    gone.save(update_fields=["is_active"])

    answers = {
        "wrong password": (password_sign_in(Client(), "nina", "not-the-password-1"), "nina"),
        "unknown user": (password_sign_in(Client(), "nobody-here", PASSWORD), "nobody-here"),
        "deactivated": (password_sign_in(Client(), "gone", PASSWORD), "gone"),
    }
    statuses = {name: response.status_code for name, (response, _) in answers.items()}
    assert set(statuses.values()) == {200}, statuses
    bodies = {name: _normalised(response, typed) for name, (response, typed) in answers.items()}
    assert WRONG_CREDENTIALS in bodies["unknown user"]
    assert bodies["wrong password"] == bodies["unknown user"] == bodies["deactivated"]


def test_wrong_password_shows_an_error_and_starts_no_session(csrf_client, person):
    response = password_sign_in(csrf_client, "nina", "not-the-password-1")
    assert response.status_code == 200
    body = response.content.decode()
    assert WRONG_CREDENTIALS in body
    assert 'role="alert"' in body
    assert SESSION_USER_KEY not in csrf_client.session
    assert csrf_client.get("/incidents/").status_code == 302


def test_a_deactivated_member_cannot_sign_in_with_the_right_password(csrf_client, device):
    User.objects.filter(pk=device.user_id).update(is_active=False)
    response = password_sign_in(csrf_client, "nina", PASSWORD)
    assert response.status_code == 200
    assert SESSION_USER_KEY not in csrf_client.session


# --- Failed attempts since the last login ------------------------------------------


def _notices_after_complete_sign_in(user, code) -> tuple[str | None, str | None]:
    """Sign in with password and `code`; the (failed attempts, password-only uses) notices."""
    browser = Client()
    first = password_sign_in(browser, user.username, PASSWORD)
    assert first["Location"].startswith("/accounts/verify/")
    # Nothing is told before the second factor: the password alone learns nothing.
    assert "failed login attempts" not in browser.get(first["Location"]).content.decode()
    assert post_code(browser, first["Location"], code).status_code == 302
    body = browser.get("/incidents/").content.decode()
    failed = re.search(
        r"There (?:has|have) been (\d+) failed login attempts? since your last login", body
    )
    used = re.search(r"Your password was used (once|twice|\d+ times) since your last login", body)
    times = {"once": "1", "twice": "2"}
    used_count = (times.get(used.group(1)) or used.group(1).split()[0]) if used else None
    return (failed.group(1) if failed else None, used_count)


@pytest.fixture
def backup_codes(device):
    static = StaticDevice.objects.create(user=device.user, name="Backup codes", confirmed=True)
    codes = [f"backup{n:04d}" for n in range(6)]
    for code in codes:
        static.token_set.create(token=code)
    return codes


def test_failed_attempts_since_the_last_complete_sign_in_are_told_after_the_second_factor(
    device, backup_codes
):
    assert _notices_after_complete_sign_in(device.user, backup_codes[0]) == (None, None)

    for _ in range(3):
        password_sign_in(Client(), "nina", "a-wrong-guess-123")
    assert _notices_after_complete_sign_in(device.user, backup_codes[1]) == ("3", None)
    assert LoginAttempt.objects.filter(user=device.user, succeeded=False).count() == 3

    # Signed in again with no failure in between: no notice; the count started again.
    assert _notices_after_complete_sign_in(device.user, backup_codes[2]) == (None, None)


def test_one_failed_attempt_is_told_in_the_singular(device, backup_codes):
    assert _notices_after_complete_sign_in(device.user, backup_codes[0]) == (None, None)
    password_sign_in(Client(), "nina", "a-wrong-guess-123")
    browser = Client()
    first = password_sign_in(browser, "nina", PASSWORD)
    post_code(browser, first["Location"], backup_codes[1])
    body = browser.get("/incidents/").content.decode()
    assert "There has been 1 failed login attempt since your last login." in body
    assert "Its time and address are on your security page." in body
    assert "attempts" not in body.split("There has been")[1].split(".")[0]


def test_a_password_only_sign_in_does_not_reset_the_count_and_is_reported(device, backup_codes):
    assert _notices_after_complete_sign_in(device.user, backup_codes[0]) == (None, None)
    for _ in range(2):
        password_sign_in(Client(), "nina", "a-wrong-guess-123")
    # Someone with the password but not the second factor signs in and stops there.
    intruder = Client()
    assert password_sign_in(intruder, "nina", PASSWORD)["Location"].startswith("/accounts/verify/")

    assert _notices_after_complete_sign_in(device.user, backup_codes[1]) == ("2", "1")


def test_failures_on_someone_else_do_not_count(device, backup_codes):
    make_person("otto")
    password_sign_in(Client(), "otto", "a-wrong-guess-123")
    password_sign_in(Client(), "unknown-person", "a-wrong-guess-123")
    assert _notices_after_complete_sign_in(device.user, backup_codes[0]) == (None, None)


# --- CSRF and signing out ------------------------------------------------------------


def test_sign_in_without_the_csrf_token_is_refused(csrf_client, person):
    response = csrf_client.post("/accounts/login/", {"username": "nina", "password": PASSWORD})
    assert response.status_code == 403
    assert SESSION_USER_KEY not in csrf_client.session
    assert not LoginAttempt.objects.exists()


def test_logout_needs_a_post_and_ends_the_session(csrf_client, device):
    full_sign_in(csrf_client, device.user, device)
    assert csrf_client.get("/accounts/logout/").status_code == 405
    assert csrf_client.session[SESSION_USER_KEY] == str(device.user_id)

    page = csrf_client.get("/incidents/")
    assert 'action="/accounts/logout/"' in page.content.decode()
    response = csrf_client.post("/accounts/logout/", {"csrfmiddlewaretoken": csrf_token(page)})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert SESSION_USER_KEY not in csrf_client.session
    assert csrf_client.get("/incidents/").status_code == 302


# --- One-time passwords -------------------------------------------------------------


def test_a_one_time_password_must_be_changed_before_anything_else(csrf_client):
    member_save(
        actor=None,
        username="otto",
        role=Role.LEAD,
        password=PASSWORD,
        must_change_password=True,
    )
    response = password_sign_in(csrf_client, "otto", PASSWORD)
    assert response["Location"] == "/accounts/password/"
    assert csrf_client.get("/incidents/")["Location"] == "/accounts/password/"
    assert csrf_client.get("/incidents/new/")["Location"] == "/accounts/password/"
    assert csrf_client.get("/accounts/2fa/setup/")["Location"] == "/accounts/password/"

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
    # Changed, but still no second factor: enrolment comes next, and nothing else.
    assert csrf_client.get("/incidents/")["Location"] == "/accounts/2fa/setup/"
    setup = csrf_client.get("/accounts/2fa/setup/")
    assert setup.status_code == 200
    assert "Your password was changed." in setup.content.decode()

    otto = User.objects.get(username="otto")
    assert otto.must_change_password is False
    assert otto.check_password(NEW_PASSWORD)


def test_a_weak_or_mismatched_new_password_is_refused(csrf_client):
    member_save(
        actor=None, username="otto", role=Role.LEAD, password=PASSWORD, must_change_password=True
    )
    password_sign_in(csrf_client, "otto", PASSWORD)
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
