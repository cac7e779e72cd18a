"""Password reset requests (issue 14): limited per e-mail address, per account and per
client address, recorded in the audit log without the link, and answered exactly alike
whether the address has an account or not, limited or not."""

import json
import re

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.roles import Role
from accounts.services import member_save
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db

RESET = "/accounts/password/reset/"
DONE = "/accounts/password/reset/done/"
KNOWN = "nina@example.org"
UNKNOWN = "nobody@example.org"
REQUESTED = "password_reset.requested"
LINK = re.compile(
    re.escape(django_settings.SITE_URL) + r"/accounts/password/reset/([^/\s]+)/([^/\s]+)/"
)


@pytest.fixture(autouse=True)
def _mail_in_memory(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def nina(db):
    user, _ = member_save(
        actor=None, username="nina", role=Role.RESPONDER, email=KNOWN, password="a-Strong-pass-42"
    )
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return user


def ask(email, *, address="203.0.113.5"):
    return Client(REMOTE_ADDR=address).post(RESET, {"email": email})


def answer(response) -> tuple:
    return response.status_code, response.get("Location"), response.content


def test_twenty_requests_for_one_address_send_at_most_its_limit_of_mails(nina, settings):
    limit = settings.PASSWORD_RESET_MAILS_PER_ADDRESS
    assert 0 < limit < 20
    answers = {answer(ask(KNOWN)) for _ in range(20)}
    assert answers == {(302, DONE, b"")}
    assert len(mail.outbox) == limit
    assert {message.to[0] for message in mail.outbox} == {KNOWN}


def test_the_address_limit_holds_whatever_the_spelling(nina, settings):
    limit = settings.PASSWORD_RESET_MAILS_PER_ADDRESS
    for n in range(limit + 3):
        spelling = KNOWN.upper() if n % 2 else f"  {KNOWN}  "
        ask(spelling, address=f"203.0.113.{n + 10}")
    assert len(mail.outbox) == limit


def test_the_account_limit_holds_across_addresses_and_clients(nina, settings):
    settings.PASSWORD_RESET_MAILS_PER_ADDRESS = 100
    settings.PASSWORD_RESET_MAILS_PER_ACCOUNT = 2
    for n in range(6):
        ask(KNOWN, address=f"198.51.100.{n + 1}")
    assert len(mail.outbox) == 2


def test_one_client_address_is_limited_across_e_mail_addresses(nina, settings):
    settings.PASSWORD_RESET_REQUESTS_PER_CLIENT = 5
    for n in range(5):
        assert answer(ask(f"stranger{n}@example.org")) == (302, DONE, b"")
    assert answer(ask(KNOWN)) == (302, DONE, b"")  # past the client's limit: looks the same
    assert mail.outbox == []
    ask(KNOWN, address="192.0.2.99")  # someone else, elsewhere
    assert len(mail.outbox) == 1


def test_answers_are_identical_for_known_and_unknown_addresses_limited_or_not(nina, settings):
    limit = settings.PASSWORD_RESET_MAILS_PER_ADDRESS
    for n in range(limit + 2):  # within the limit, then past it
        known, unknown = ask(KNOWN), ask(UNKNOWN)
        assert answer(known) == answer(unknown), n
    page = Client().get(DONE)
    assert page.status_code == 200
    assert len(mail.outbox) == limit


def test_requests_are_audited_without_the_link_and_unknown_addresses_without_a_trace(
    nina, settings
):
    limit = settings.PASSWORD_RESET_MAILS_PER_ADDRESS
    for _ in range(limit + 5):
        ask(KNOWN)
    ask(UNKNOWN)

    events = list(AuditEvent.objects.filter(action=REQUESTED).order_by("id"))
    sent = [event for event in events if event.data.get("mail_sent")]
    limited = [event for event in events if event.data.get("limited_by")]
    unknown = [event for event in events if not event.target_id]
    assert len(sent) == limit
    assert all(event.target_id == str(nina.pk) and event.actor_id is None for event in sent)
    # Past the limit, one event says so; the rest of the flood goes to the log only.
    assert len(limited) == 1
    assert limited[0].data["limited_by"] == "e-mail address"
    assert limited[0].outcome == "denied"
    assert len(unknown) == 1 and unknown[0].data == {"mail_sent": False}

    everything = json.dumps(
        [
            {field.name: str(getattr(event, field.name)) for field in AuditEvent._meta.fields}
            for event in AuditEvent.objects.all()
        ]
    )
    for message in mail.outbox:
        uid, token = LINK.search(message.body).groups()
        assert token not in everything
        assert f"/reset/{uid}/" not in everything
    assert UNKNOWN not in everything
