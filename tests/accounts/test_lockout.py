"""Login defences (django-axes): lockout per user name and address after
AXES_FAILURE_LIMIT failures, a finite cool-off, the same answer for every user name,
and X-Forwarded-For believed only from a trusted proxy."""

import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from accounts.models import LoginAttempt
from tests.accounts.test_login import (  # noqa: F401 - fast_password_hashing is a fixture
    PASSWORD,
    SESSION_USER_KEY,
    WRONG_CREDENTIALS,
    fast_password_hashing,
    make_person,
    password_sign_in,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]

TOO_MANY_REQUESTS = 429
LOCKED_OUT = "Signing in is paused for this user name from your address"
ATTACKER = "203.0.113.66"
PROXY = "10.0.0.1"


def fail(username, times, **client_kwargs) -> None:
    """`times` wrong passwords. Up to the limit each reads as a wrong password; the one
    that reaches the limit is already answered with the lockout."""
    limit = django_settings.AXES_FAILURE_LIMIT
    for attempt in range(1, times + 1):
        response = password_sign_in(Client(**client_kwargs), username, "a-wrong-guess-123")
        if attempt < limit:
            assert response.status_code == 200
            assert WRONG_CREDENTIALS in response.content.decode()
        else:
            assert response.status_code == TOO_MANY_REQUESTS
            assert LOCKED_OUT in response.content.decode()


def signed_in(client) -> bool:
    return SESSION_USER_KEY in client.session


@pytest.fixture
def member(db):
    return make_person()


def test_the_failure_limit_is_five_by_default():
    assert django_settings.AXES_FAILURE_LIMIT == 5


def test_five_failures_lock_the_sixth_try_even_with_the_right_password(member):
    fail("nina", 5, REMOTE_ADDR=ATTACKER)
    client = Client(REMOTE_ADDR=ATTACKER)
    response = password_sign_in(client, "nina", PASSWORD)
    assert response.status_code == TOO_MANY_REQUESTS
    assert LOCKED_OUT in response.content.decode()
    assert not signed_in(client)
    assert LoginAttempt.objects.filter(username="nina", succeeded=False).count() == 6


def test_four_failures_do_not_lock(member):
    fail("nina", 4, REMOTE_ADDR=ATTACKER)
    client = Client(REMOTE_ADDR=ATTACKER)
    assert password_sign_in(client, "nina", PASSWORD).status_code == 302
    assert signed_in(client)


def test_a_locked_try_with_a_wrong_password_is_also_429(member):
    fail("nina", 5, REMOTE_ADDR=ATTACKER)
    response = password_sign_in(Client(REMOTE_ADDR=ATTACKER), "nina", "a-wrong-guess-123")
    assert response.status_code == TOO_MANY_REQUESTS


def test_the_lockout_is_per_address_another_address_still_signs_in(member):
    fail("nina", 5, REMOTE_ADDR=ATTACKER)
    elsewhere = Client(REMOTE_ADDR="198.51.100.20")
    assert password_sign_in(elsewhere, "nina", PASSWORD).status_code == 302
    assert signed_in(elsewhere)


def test_the_lockout_is_per_user_name_another_name_from_the_address_still_signs_in(member):
    make_person("otto")
    fail("nina", 5, REMOTE_ADDR=ATTACKER)
    client = Client(REMOTE_ADDR=ATTACKER)
    assert password_sign_in(client, "otto", PASSWORD).status_code == 302


def test_after_the_cool_off_signing_in_works_again(member):
    fail("nina", 5, REMOTE_ADDR=ATTACKER)
    assert password_sign_in(Client(REMOTE_ADDR=ATTACKER), "nina", PASSWORD).status_code == 429

    # Time travel: every failure happened just longer ago than the cool-off.
    cool_off = django_settings.AXES_COOLOFF_TIME
    AccessAttempt.objects.update(attempt_time=timezone.now() - cool_off - timedelta(seconds=1))
    client = Client(REMOTE_ADDR=ATTACKER)
    assert password_sign_in(client, "nina", PASSWORD).status_code == 302
    assert signed_in(client)


def test_within_the_cool_off_the_lock_holds(member):
    fail("nina", 5, REMOTE_ADDR=ATTACKER)
    cool_off = django_settings.AXES_COOLOFF_TIME
    AccessAttempt.objects.update(attempt_time=timezone.now() - cool_off + timedelta(seconds=30))
    assert password_sign_in(Client(REMOTE_ADDR=ATTACKER), "nina", PASSWORD).status_code == 429


def test_the_cool_off_is_finite_and_a_setting(member, settings):
    assert timedelta(0) < django_settings.AXES_COOLOFF_TIME <= timedelta(hours=24)
    # Ten minutes, not seconds: five failed sign-ins on a busy machine take seconds, and
    # the first ones must not have cooled off before the fifth.
    settings.AXES_COOLOFF_TIME = timedelta(minutes=10)
    fail("nina", 5, REMOTE_ADDR=ATTACKER)
    assert password_sign_in(Client(REMOTE_ADDR=ATTACKER), "nina", PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=11))
    assert password_sign_in(Client(REMOTE_ADDR=ATTACKER), "nina", PASSWORD).status_code == 302


def _normalised(response, typed_username: str) -> str:
    body = response.content.decode()
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", body)
    return body.replace(typed_username, "TYPED")


def test_the_lockout_reads_the_same_for_an_existing_and_an_unknown_user_name(member):
    fail("nina", 5, REMOTE_ADDR=ATTACKER)
    fail("nobody-at-all", 5, REMOTE_ADDR=ATTACKER)
    existing = password_sign_in(Client(REMOTE_ADDR=ATTACKER), "nina", PASSWORD)
    unknown = password_sign_in(Client(REMOTE_ADDR=ATTACKER), "nobody-at-all", PASSWORD)
    assert existing.status_code == unknown.status_code == TOO_MANY_REQUESTS
    assert _normalised(existing, "nina") == _normalised(unknown, "nobody-at-all")
    assert LOCKED_OUT in existing.content.decode()


def test_a_successful_sign_in_before_the_limit_starts_the_count_again(member):
    fail("nina", 4, REMOTE_ADDR=ATTACKER)
    assert password_sign_in(Client(REMOTE_ADDR=ATTACKER), "nina", PASSWORD).status_code == 302
    fail("nina", 4, REMOTE_ADDR=ATTACKER)
    client = Client(REMOTE_ADDR=ATTACKER)
    assert password_sign_in(client, "nina", PASSWORD).status_code == 302


# --- X-Forwarded-For -------------------------------------------------------------------


def test_x_forwarded_for_from_an_untrusted_address_is_ignored(member, settings):
    settings.TRUSTED_PROXIES = [PROXY]
    for hop in range(5):
        response = password_sign_in(
            Client(REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR=f"198.51.100.{hop}"),
            "nina",
            "a-wrong-guess-123",
        )
        assert response.status_code == (200 if hop < 4 else TOO_MANY_REQUESTS)
    assert set(LoginAttempt.objects.values_list("ip", flat=True)) == {ATTACKER}

    # A new made-up forwarded address does not escape the lock on the real one.
    client = Client(REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR="198.51.100.200")
    assert password_sign_in(client, "nina", PASSWORD).status_code == TOO_MANY_REQUESTS


def test_x_forwarded_for_cannot_frame_someone_elses_address(member, settings):
    """An attacker who names the victim's address in X-Forwarded-For locks only themselves."""
    settings.TRUSTED_PROXIES = [PROXY]
    fail("nina", 5, REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR="198.51.100.7")
    victim = Client(REMOTE_ADDR="198.51.100.7")
    assert password_sign_in(victim, "nina", PASSWORD).status_code == 302


def test_behind_a_trusted_proxy_the_forwarded_client_address_counts(member, settings):
    settings.TRUSTED_PROXIES = [PROXY]
    client_address = "198.51.100.7"
    fail("nina", 5, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=client_address)
    assert set(LoginAttempt.objects.values_list("ip", flat=True)) == {client_address}
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {client_address}

    locked = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=client_address)
    assert password_sign_in(locked, "nina", PASSWORD).status_code == TOO_MANY_REQUESTS

    # Another client behind the same proxy is not locked out with them.
    neighbour = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.8")
    assert password_sign_in(neighbour, "nina", PASSWORD).status_code == 302


def test_behind_a_trusted_proxy_a_spoofed_first_hop_is_ignored(member, settings):
    """The client may prepend anything; the proxy appends the address it saw. The
    nearest hop that is not one of our proxies is the client."""
    settings.TRUSTED_PROXIES = [PROXY, "10.0.0.2"]
    password_sign_in(
        Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="127.0.0.1, 198.51.100.9, 10.0.0.2"),
        "nina",
        "a-wrong-guess-123",
    )
    assert LoginAttempt.objects.get().ip == "198.51.100.9"


def test_a_trusted_proxy_without_x_forwarded_for_counts_as_itself(member, settings):
    settings.TRUSTED_PROXIES = [PROXY]
    password_sign_in(Client(REMOTE_ADDR=PROXY), "nina", "a-wrong-guess-123")
    assert LoginAttempt.objects.get().ip == PROXY


def test_garbage_in_x_forwarded_for_falls_back_to_the_proxy(member, settings):
    settings.TRUSTED_PROXIES = [PROXY]
    password_sign_in(
        Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="not-an-address"),
        "nina",
        "a-wrong-guess-123",
    )
    assert LoginAttempt.objects.get().ip == PROXY


@pytest.mark.parametrize(
    ("trusted", "remote"),
    [
        (["10.0.0.0/24"], "10.0.0.77"),
        (["2001:DB8::1"], "2001:db8::1"),
        (["2001:db8::/64"], "2001:db8::abcd"),
        (["10.0.0.1"], "::ffff:10.0.0.1"),
    ],
    ids=["ipv4-range", "ipv6-spelling", "ipv6-range", "ipv4-mapped"],
)
def test_trusted_proxies_may_be_ranges_in_any_spelling(member, settings, trusted, remote):
    settings.TRUSTED_PROXIES = trusted
    password_sign_in(
        Client(REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR="198.51.100.9"),
        "nina",
        "a-wrong-guess-123",
    )
    assert LoginAttempt.objects.get().ip == "198.51.100.9"


def test_a_malformed_trusted_proxy_entry_trusts_nobody(member, settings):
    settings.TRUSTED_PROXIES = ["not-a-proxy", "10.0.0.0/99"]
    password_sign_in(
        Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.9"), "nina", "a-wrong-guess-1"
    )
    assert LoginAttempt.objects.get().ip == PROXY


def test_the_lockout_page_says_how_long_and_links_back(member):
    fail("nina", 5, REMOTE_ADDR=ATTACKER)
    response = password_sign_in(Client(REMOTE_ADDR=ATTACKER), "nina", PASSWORD)
    assert response.status_code == TOO_MANY_REQUESTS
    page = response.content.decode()
    assert "after 5 failed attempts, for 15 min from the last one" in page
    assert 'href="/accounts/login/"' in page
    assert 'href="/accounts/password/reset/"' in page
