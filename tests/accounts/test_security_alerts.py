"""Mail about one's own account: a lockout (once per episode, only to the owner) and a
complete sign-in from an address never used before (not for the very first one)."""

import pytest
from django.core.management import call_command
from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice

from audit.models import AuditEvent
from notifications.models import Notification, NotificationPreference
from tests.accounts.test_lockout import ATTACKER, LOCKED_OUT, TOO_MANY_REQUESTS, fail
from tests.accounts.test_login import (  # noqa: F401 - fast_password_hashing is a fixture
    PASSWORD,
    fast_password_hashing,
    make_person,
    password_sign_in,
    post_code,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]

HOME = "198.51.100.7"
ELSEWHERE = "203.0.113.200"


@pytest.fixture
def nina(db):
    user, _ = make_person()
    user.email = "nina@example.org"
    user.save(update_fields=["email"])
    static = StaticDevice.objects.create(user=user, name="Backup codes", confirmed=True)
    user.codes = [f"backup{n:04d}" for n in range(6)]
    for code in user.codes:
        static.token_set.create(token=code)
    return user


def mails(user, event):
    return list(Notification.objects.filter(recipient=user, event=event))


# --- Lockout -------------------------------------------------------------------------


def test_a_lockout_mails_the_owner_once_per_episode(nina):
    fail("nina", 5, REMOTE_ADDR=ATTACKER)
    # Tries during the cool-off are refused and recorded again, but mailed no more.
    for _ in range(3):
        response = password_sign_in(Client(REMOTE_ADDR=ATTACKER), "nina", PASSWORD)
        assert response.status_code == TOO_MANY_REQUESTS
    fail_elsewhere = password_sign_in(Client(REMOTE_ADDR="192.0.2.9"), "nina", "wrong-123")
    assert fail_elsewhere.status_code == 200

    (mail,) = mails(nina, "account.locked_out")
    assert ATTACKER in mail.body and "/accounts/security/" in mail.body
    assert AuditEvent.objects.filter(action="login.locked_out").count() >= 4


def test_after_the_owner_signs_in_a_new_lockout_is_a_new_episode(nina):
    fail("nina", 5, REMOTE_ADDR=ATTACKER)
    complete_sign_in(nina, nina.codes[0], HOME)  # the owner, from home: not locked there
    call_command("axes_reset")  # an operator lifts the lock on the attacker's address
    fail("nina", 5, REMOTE_ADDR=ATTACKER)
    assert len(mails(nina, "account.locked_out")) == 2


def test_a_lockout_mail_cannot_be_turned_off(nina):
    NotificationPreference.objects.create(user=nina, event="account.locked_out", email=False)
    fail("nina", 5, REMOTE_ADDR=ATTACKER)
    assert len(mails(nina, "account.locked_out")) == 1


def test_a_lockout_of_an_unknown_user_name_mails_nobody_and_reads_the_same(nina):
    fail("nobody-here", 5, REMOTE_ADDR=ATTACKER)
    response = password_sign_in(Client(REMOTE_ADDR=ATTACKER), "nobody-here", PASSWORD)
    assert response.status_code == TOO_MANY_REQUESTS
    assert LOCKED_OUT in response.content.decode()
    assert not Notification.objects.filter(event="account.locked_out").exists()


# --- New sign-in address ------------------------------------------------------------------


def complete_sign_in(user, code, address, agent="Firefox/140"):
    browser = Client(REMOTE_ADDR=address, HTTP_USER_AGENT=agent)
    first = password_sign_in(browser, user.username, PASSWORD)
    assert first["Location"].startswith("/accounts/verify/")
    assert post_code(browser, first["Location"], code).status_code == 302
    return browser


def test_the_first_complete_sign_in_is_not_new(nina):
    complete_sign_in(nina, nina.codes[0], HOME)
    assert not mails(nina, "account.new_login_address")
    assert not AuditEvent.objects.filter(action="login.new_address").exists()


def test_a_sign_in_from_a_known_address_is_not_new(nina):
    complete_sign_in(nina, nina.codes[0], HOME)
    complete_sign_in(nina, nina.codes[1], HOME)
    assert not mails(nina, "account.new_login_address")


def test_a_complete_sign_in_from_a_new_address_is_mailed_and_audited(nina):
    complete_sign_in(nina, nina.codes[0], HOME)
    complete_sign_in(nina, nina.codes[1], ELSEWHERE, agent="Strange-Browser/1.0")

    (mail,) = mails(nina, "account.new_login_address")
    assert ELSEWHERE in mail.body
    assert "Strange-Browser/1.0" in mail.body
    assert "/accounts/security/" in mail.body
    assert "UTC" in mail.body
    event = AuditEvent.objects.get(action="login.new_address")
    assert event.data["ip"] == ELSEWHERE and event.target_id == str(nina.pk)

    # Once the address is known, it is not new again.
    complete_sign_in(nina, nina.codes[2], ELSEWHERE)
    assert len(mails(nina, "account.new_login_address")) == 1


def test_the_password_alone_from_a_new_address_mails_nothing(nina):
    complete_sign_in(nina, nina.codes[0], HOME)
    intruder = Client(REMOTE_ADDR=ELSEWHERE)
    assert password_sign_in(intruder, "nina", PASSWORD).status_code == 302
    assert not mails(nina, "account.new_login_address")


def test_a_new_address_mail_cannot_be_turned_off(nina):
    NotificationPreference.objects.create(user=nina, event="account.new_login_address", email=False)
    complete_sign_in(nina, nina.codes[0], HOME)
    complete_sign_in(nina, nina.codes[1], ELSEWHERE)
    assert len(mails(nina, "account.new_login_address")) == 1
