"""The second factor: enrolment of an authenticator with a real TOTP code, codes that
work once, wrong codes and their back-off, single-use backup codes."""

import re
import time
from base64 import b32decode
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.services import backup_codes_regenerate
from accounts.twofactor import STEP_UP_SESSION_KEY
from accounts.views.signin import THROTTLED, WRONG_CODE
from tests.accounts.test_login import (  # noqa: F401 - fast_password_hashing is a fixture
    PASSWORD,
    allow_first_enrolment,
    csrf_token,
    fast_password_hashing,
    full_sign_in,
    make_person,
    password_sign_in,
    post_code,
    totp_code,
)
from tests.conftest import sign_in
from tests.incidents.test_views import assert_csp_safe

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]

TOO_MANY_REQUESTS = 429
OTP_DEVICE_SESSION_KEY = "otp_device_id"


def html_text(response) -> str:
    return response.content.decode()


def key_on_page(response) -> bytes:
    """The key as a person would type it from the page: base32 in groups of four."""
    match = re.search(r'id="totp-key">([A-Z2-7 ]+)</code>', html_text(response))
    assert match, "the setup page shows no key as text"
    return b32decode(match.group(1).replace(" ", ""))


def code_from_key(key: bytes, *, steps_ahead: int = 0) -> str:
    return f"{totp(key, step=30, t0=0, digits=6, drift=steps_ahead):06d}"


def let_back_off_pass(user) -> None:
    """Time travel: the last wrong code was a day ago, longer than any back-off so far."""
    a_day_ago = timezone.now() - timedelta(days=1)
    for model in (TOTPDevice, StaticDevice):
        model.objects.filter(user=user).update(throttling_failure_timestamp=a_day_ago)


def is_verified(client) -> bool:
    return client.get("/incidents/").status_code == 200


# --- Enrolment ------------------------------------------------------------------


@pytest.fixture
def newcomer(db):
    """Signed in with the password on a first-enrolment path (an invitation, say), no
    device yet: only enrolment is open to them."""
    user, _ = make_person("noah", device=False)
    client = Client(enforce_csrf_checks=True)
    password_sign_in(client, "noah", PASSWORD)
    allow_first_enrolment(client, user)
    return user, client


def test_setup_page_shows_a_qr_code_and_the_key_as_text(newcomer):
    user, client = newcomer
    page = client.get("/accounts/2fa/setup/")
    assert page.status_code == 200
    body = html_text(page)
    assert re.search(r"<svg[^>]*>.*</svg>", body, re.S), "no inline SVG QR code"
    assert "<script" not in body.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert 'name="otp_token"' in body
    device = TOTPDevice.objects.get(user=user)
    assert device.confirmed is False
    assert key_on_page(page) == device.bin_key
    assert_csp_safe(page)


def test_reloading_the_setup_page_keeps_the_same_key(newcomer):
    _, client = newcomer
    first = key_on_page(client.get("/accounts/2fa/setup/"))
    assert key_on_page(client.get("/accounts/2fa/setup/")) == first


def test_a_code_computed_from_the_key_on_the_page_enrols_the_device(newcomer):
    user, client = newcomer
    page = client.get("/accounts/2fa/setup/")
    key = key_on_page(page)
    response = client.post(
        "/accounts/2fa/setup/",
        {"otp_token": code_from_key(key), "csrfmiddlewaretoken": csrf_token(page)},
    )
    assert response.status_code == 200
    codes = re.findall(r"<li><code>([^<]+)</code></li>", html_text(response))
    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert "They are shown only now" in html_text(response)
    assert_csp_safe(response)

    assert TOTPDevice.objects.get(user=user).confirmed is True
    stored = StaticToken.objects.filter(device__user=user)
    assert sorted(stored.values_list("token", flat=True)) == sorted(codes)
    assert client.session[OTP_DEVICE_SESSION_KEY]
    assert is_verified(client)

    # The codes are shown once: the setup page now offers a further device, not the codes.
    again = client.get("/accounts/2fa/setup/")
    assert again.status_code == 200
    assert not any(code in html_text(again) for code in codes)


def test_a_wrong_enrolment_code_enables_nothing(newcomer):
    user, client = newcomer
    page = client.get("/accounts/2fa/setup/")
    key = key_on_page(page)
    wrong = f"{(int(code_from_key(key)) + 1) % 1_000_000:06d}"
    response = client.post(
        "/accounts/2fa/setup/", {"otp_token": wrong, "csrfmiddlewaretoken": csrf_token(page)}
    )
    assert response.status_code == 200
    assert WRONG_CODE in html_text(response)
    assert TOTPDevice.objects.get(user=user).confirmed is False
    assert not StaticToken.objects.filter(device__user=user).exists()
    assert client.get("/incidents/")["Location"] == "/accounts/2fa/setup/"


def test_enrolment_after_wrong_codes_says_to_wait_not_that_the_code_is_wrong(newcomer, settings):
    """As at sign-in: while the new device backs off after wrong codes, a code (even the
    right one) is not looked at, and the person is told to wait (429)."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 60  # a back-off longer than the test
    user, client = newcomer
    page = client.get("/accounts/2fa/setup/")
    key = key_on_page(page)
    wrong = f"{(int(code_from_key(key)) + 1) % 1_000_000:06d}"
    first = client.post(
        "/accounts/2fa/setup/", {"otp_token": wrong, "csrfmiddlewaretoken": csrf_token(page)}
    )
    assert WRONG_CODE in html_text(first)

    waiting = client.post(
        "/accounts/2fa/setup/",
        {"otp_token": code_from_key(key), "csrfmiddlewaretoken": csrf_token(page)},
    )
    assert waiting.status_code == 429
    assert THROTTLED in html_text(waiting)
    assert WRONG_CODE not in html_text(waiting)
    assert TOTPDevice.objects.get(user=user).confirmed is False


def test_the_enrolment_page_does_not_mention_backup_codes_before_they_exist(newcomer):
    _, client = newcomer
    page = html_text(client.get("/accounts/2fa/setup/"))
    assert "backup code" not in page.lower()
    assert "The 6-digit code the app shows now." in page


def test_the_verify_page_mentions_backup_codes_only_to_who_has_them(client):
    user, _ = make_person()
    password_sign_in(client, "nina", PASSWORD)
    assert "backup codes" not in html_text(client.get("/accounts/verify/"))
    backup_codes_regenerate(user=user, actor=user)
    assert "or one of your backup codes" in html_text(client.get("/accounts/verify/"))


def test_a_person_with_a_device_is_sent_to_verify_not_to_a_new_enrolment(client):
    user, device = make_person()
    password_sign_in(client, "nina", PASSWORD)
    response = client.get("/accounts/2fa/setup/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/verify/")
    response = client.post("/accounts/2fa/setup/", {"otp_token": totp_code(device)})
    assert response["Location"].startswith("/accounts/verify/")
    assert TOTPDevice.objects.filter(user=user).count() == 1


def test_adding_a_second_device_needs_a_fresh_step_up(client):
    user, device = make_person()
    sign_in(client, user, step_up=False)
    response = client.get("/accounts/2fa/setup/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/step-up/?next=%2Faccounts%2F2fa%2Fsetup%2F"
    assert TOTPDevice.objects.filter(user=user).count() == 1  # no pending device made

    session = client.session
    session[STEP_UP_SESSION_KEY] = time.time()
    session.save()
    page = client.get("/accounts/2fa/setup/")
    assert page.status_code == 200
    second = TOTPDevice.objects.get(user=user, confirmed=False)
    assert key_on_page(page) == second.bin_key != device.bin_key


def test_a_second_device_is_not_confirmed_without_a_step_up(client):
    user, _device = make_person()
    sign_in(client, user, step_up=True)
    page = client.get("/accounts/2fa/setup/")
    key = key_on_page(page)
    session = client.session
    session[STEP_UP_SESSION_KEY] = time.time() - 3600
    session.save()
    response = client.post("/accounts/2fa/setup/", {"otp_token": code_from_key(key)})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/step-up/")
    assert TOTPDevice.objects.filter(user=user, confirmed=True).count() == 1


# --- Codes work once ---------------------------------------------------------------


def test_a_totp_code_is_accepted_once_at_verify(device_person):
    _user, device = device_person
    code = totp_code(device)
    first = Client()
    password_sign_in(first, "nina", PASSWORD)
    assert post_code(first, "/accounts/verify/", code)["Location"] == "/"
    assert is_verified(first)

    second = Client()
    password_sign_in(second, "nina", PASSWORD)
    replay = post_code(second, "/accounts/verify/", code)
    assert replay.status_code == 200
    assert WRONG_CODE in html_text(replay)
    assert not is_verified(second)


def test_a_code_used_to_sign_in_does_not_serve_as_a_step_up(device_person):
    _user, device = device_person
    code = totp_code(device)
    browser = Client()
    password_sign_in(browser, "nina", PASSWORD)
    post_code(browser, "/accounts/verify/", code)
    session = browser.session
    session[STEP_UP_SESSION_KEY] = time.time() - 3600
    session.save()

    replay = post_code(browser, "/accounts/step-up/?next=/accounts/password/", code)
    assert replay.status_code == 200
    assert WRONG_CODE in html_text(replay)
    assert browser.get("/accounts/password/")["Location"].startswith("/accounts/step-up/")


def test_an_older_code_is_refused_after_a_newer_one(device_person):
    _user, device = device_person
    browser = Client()
    password_sign_in(browser, "nina", PASSWORD)
    post_code(browser, "/accounts/verify/", totp_code(device, steps_ahead=1))
    other = Client()
    password_sign_in(other, "nina", PASSWORD)
    response = post_code(other, "/accounts/verify/", totp_code(device, steps_ahead=-1))
    assert response.status_code == 200
    assert not is_verified(other)


def test_a_wrong_code_shows_an_error_and_does_not_verify(device_person):
    _user, device = device_person
    browser = Client()
    password_sign_in(browser, "nina", PASSWORD)
    wrong = f"{(int(totp_code(device)) + 1) % 1_000_000:06d}"
    response = post_code(browser, "/accounts/verify/", wrong)
    assert response.status_code == 200
    body = html_text(response)
    assert WRONG_CODE in body
    assert THROTTLED not in body
    assert 'aria-invalid="true"' in body
    assert not is_verified(browser)


@pytest.mark.parametrize("garbage", ["", "      ", "12345a", "x" * 65, "1" * 64])
def test_malformed_codes_do_not_verify(device_person, garbage):
    browser = Client()
    password_sign_in(browser, "nina", PASSWORD)
    response = post_code(browser, "/accounts/verify/", garbage)
    assert response.status_code == 200
    assert not is_verified(browser)


def test_after_several_wrong_codes_even_a_correct_code_waits_for_the_back_off(device_person):
    user, device = device_person
    browser = Client()
    password_sign_in(browser, "nina", PASSWORD)
    wrong = f"{(int(totp_code(device)) + 1) % 1_000_000:06d}"
    for _ in range(4):
        let_back_off_pass(user)
        assert post_code(browser, "/accounts/verify/", wrong).status_code == 200
    device.refresh_from_db()
    assert device.throttling_failure_count == 4

    refused = post_code(browser, "/accounts/verify/", totp_code(device))
    assert refused.status_code == TOO_MANY_REQUESTS
    assert THROTTLED in html_text(refused)
    assert not is_verified(browser)
    # Tries during the back-off neither count nor are looked at.
    device.refresh_from_db()
    assert device.throttling_failure_count == 4
    assert device.last_t == -1

    let_back_off_pass(user)
    accepted = post_code(browser, "/accounts/verify/", totp_code(device))
    assert accepted.status_code == 302
    assert is_verified(browser)
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


def test_the_step_up_page_is_throttled_too(device_person):
    user, device = device_person
    browser = Client()
    full_sign_in(browser, user, device)
    wrong = f"{(int(totp_code(device)) + 1) % 1_000_000:06d}"
    url = "/accounts/step-up/?next=/accounts/password/"
    for _ in range(3):
        let_back_off_pass(user)
        assert post_code(browser, url, wrong).status_code == 200
    refused = post_code(browser, url, totp_code(device, steps_ahead=1))
    assert refused.status_code == TOO_MANY_REQUESTS


# --- Backup codes ----------------------------------------------------------------------


@pytest.fixture
def device_person(db):
    return make_person()


@pytest.fixture
def backup_codes(device_person):
    user, _ = device_person
    return backup_codes_regenerate(user=user, actor=user)


def test_a_backup_code_works_once(device_person, backup_codes):
    first = Client()
    password_sign_in(first, "nina", PASSWORD)
    assert post_code(first, "/accounts/verify/", backup_codes[0]).status_code == 302
    assert is_verified(first)
    assert not StaticToken.objects.filter(token=backup_codes[0]).exists()

    second = Client()
    password_sign_in(second, "nina", PASSWORD)
    replay = post_code(second, "/accounts/verify/", backup_codes[0])
    assert replay.status_code == 200
    assert not is_verified(second)

    let_back_off_pass(device_person[0])
    assert post_code(second, "/accounts/verify/", backup_codes[1]).status_code == 302
    assert is_verified(second)
    assert StaticToken.objects.filter(device__user=device_person[0]).count() == 8


def test_a_backup_code_serves_as_a_step_up_once(device_person, backup_codes):
    user, device = device_person
    browser = Client()
    full_sign_in(browser, user, device)
    session = browser.session
    session[STEP_UP_SESSION_KEY] = time.time() - 3600
    session.save()

    url = "/accounts/step-up/?next=/accounts/password/"
    response = post_code(browser, url, backup_codes[3])
    assert response["Location"] == "/accounts/password/"
    assert browser.get("/accounts/password/").status_code == 200

    session = browser.session
    session[STEP_UP_SESSION_KEY] = time.time() - 3600
    session.save()
    assert post_code(browser, url, backup_codes[3]).status_code == 200
    assert browser.get("/accounts/password/")["Location"].startswith("/accounts/step-up/")


def test_someone_elses_code_does_not_verify_me(device_person):
    _, other_device = make_person("otto")
    browser = Client()
    password_sign_in(browser, "nina", PASSWORD)
    response = post_code(browser, "/accounts/verify/", totp_code(other_device))
    assert response.status_code == 200
    assert not is_verified(browser)


def test_a_second_device_confirmed_after_a_step_up_keeps_the_backup_codes(client):
    user, _ = make_person()
    codes = backup_codes_regenerate(user=user, actor=user)
    sign_in(client, user, step_up=True)
    page = client.get("/accounts/2fa/setup/")
    response = client.post("/accounts/2fa/setup/", {"otp_token": code_from_key(key_on_page(page))})
    assert response.status_code == 200
    assert "Authenticator added" in html_text(response)
    assert 'id="backup-codes"' not in html_text(response)
    assert TOTPDevice.objects.filter(user=user, confirmed=True).count() == 2
    assert sorted(
        StaticToken.objects.filter(device__user=user).values_list("token", flat=True)
    ) == sorted(codes)


@pytest.mark.django_db(transaction=True)
def test_the_same_code_sent_twice_at_once_is_accepted_once():
    """Two requests racing with one code: the device row is locked while it is checked,
    so the second sees the first's use."""
    import threading

    from django.db import connection

    from accounts.twofactor import check_code

    if connection.vendor != "postgresql":
        # The in-memory SQLite test database is shared-cache: a second writer fails with
        # "table is locked" instead of waiting, and writers never overlap anyway.
        pytest.skip("needs PostgreSQL: SQLite serialises writers, so checks never overlap")

    user, device = make_person()
    code = totp_code(device)
    start = threading.Barrier(2)
    results = []

    def attempt():
        try:
            start.wait()
            results.append(check_code(user, code))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(result is not None for result in results) == [False, True]


# --- No authenticator left, backup codes left ------------------------------------------


@pytest.fixture
def lost_phone(db):
    """Had two factors; the authenticator is gone (removed or lost), backup codes remain."""
    user, device = make_person()
    codes = backup_codes_regenerate(user=user, actor=user)
    device.delete()
    return user, codes


def test_a_password_alone_cannot_enrol_an_authenticator_over_backup_codes(lost_phone):
    """Otherwise whoever steals the password enrols their own app and owns the account."""
    user, _ = lost_phone
    thief = Client()
    password_sign_in(thief, "nina", PASSWORD)
    for path in ("/accounts/2fa/setup/", "/incidents/"):
        response = thief.get(path)
        assert response.status_code == 302
        assert urlsplit(response["Location"]).path == "/accounts/verify/"
    response = thief.post("/accounts/2fa/setup/", {"otp_token": "123456"})
    assert urlsplit(response["Location"]).path == "/accounts/verify/"
    assert not TOTPDevice.objects.filter(user=user).exists()


def test_a_backup_code_opens_the_enrolment_and_nothing_else(lost_phone):
    user, codes = lost_phone
    owner = Client()
    password_sign_in(owner, "nina", PASSWORD)
    response = post_code(owner, "/accounts/verify/?next=/incidents/", codes[0])
    assert response["Location"] == "/incidents/"
    assert owner.get("/incidents/")["Location"] == "/accounts/2fa/setup/"

    page = owner.get("/accounts/2fa/setup/")
    assert page.status_code == 200
    response = owner.post("/accounts/2fa/setup/", {"otp_token": code_from_key(key_on_page(page))})
    assert "Authenticator added" in html_text(response)
    assert TOTPDevice.objects.get(user=user).confirmed is True
    assert is_verified(owner)


def test_when_the_authenticator_is_gone_a_step_up_alone_does_not_open_the_enrolment(client):
    """The session was verified with the authenticator; with it gone (a lead or the admin
    removed it), the session is not verified any more, and a fresh step-up from before
    does not stand in for a code: a backup code is given first."""
    user, device = make_person()
    codes = backup_codes_regenerate(user=user, actor=user)
    sign_in(client, user, step_up=True)
    device.delete()

    assert urlsplit(client.get("/incidents/")["Location"]).path == "/accounts/verify/"
    assert urlsplit(client.get("/accounts/2fa/setup/")["Location"]).path == "/accounts/verify/"
    assert not TOTPDevice.objects.filter(user=user).exists()

    post_code(client, "/accounts/verify/", codes[0])
    assert client.get("/accounts/2fa/setup/").status_code == 200
