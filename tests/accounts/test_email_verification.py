"""E-mail addresses are verified: a change needs a step-up and a signed, expiring,
single-use link sent to the new address, followed by the same person signed in.
An accepted invitation verifies the invited address; the command line does not."""

import json
import re
import time
from types import SimpleNamespace

import pytest
from django.core import signing
from django.core.management import call_command

from accounts import services
from accounts.models import User
from accounts.roles import Role
from audit.models import AuditEvent
from notifications.models import Notification
from tests.accounts.test_login import PASSWORD, fast_password_hashing  # noqa: F401 - fixture
from tests.conftest import sign_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]

NEW = "nina.new@example.org"
GONE = 400


@pytest.fixture
def person(make_member):
    return make_member(Role.RESPONDER, username="nina", email="nina@example.org")


def request_link(client, email=NEW):
    return client.post("/accounts/security/email/", {"email": email})


def link_in_outbox(address=NEW) -> str:
    mail = Notification.objects.get(to_address=address)
    assert mail.sensitive, "the link must be erased from the outbox once sent"
    return re.search(r"(/accounts/email/verify/[^/\s]+/)", mail.body).group(1)


def test_a_change_sends_a_link_to_the_new_address_and_changes_nothing_yet(client, person):
    sign_in(client, person)
    response = request_link(client)
    assert response.status_code == 302
    link = link_in_outbox()
    person.refresh_from_db()
    assert person.email == "nina@example.org"
    assert person.email_verified_at is None
    assert (
        AuditEvent.objects.filter(action="account.email_change_requested").get().data["email"]
        == NEW
    )
    # The old address hears of it too, without the link.
    warning = Notification.objects.get(recipient=person, to_address="")
    assert NEW in warning.body and link not in warning.body


def test_following_the_link_sets_and_verifies_the_address(client, person):
    sign_in(client, person)
    request_link(client)
    link = link_in_outbox()

    page = client.get(link)
    assert page.status_code == 200 and NEW in page.content.decode()
    person.refresh_from_db()
    assert person.email_verified_at is None  # a GET (a mail scanner) changes nothing

    response = client.post(link)

    assert response.status_code == 302
    person.refresh_from_db()
    assert person.email == NEW
    assert person.email_verified_at is not None
    event = AuditEvent.objects.get(action="account.email_verified")
    assert event.data["email"] == NEW and event.data["via"] == "link"
    assert "verified" in client.get("/accounts/security/").content.decode()


def test_a_link_works_once(client, person):
    sign_in(client, person)
    request_link(client)
    link = link_in_outbox()
    client.post(link)

    assert client.post(link).status_code == GONE
    assert client.get(link).status_code == GONE
    assert AuditEvent.objects.filter(action="account.email_verified").count() == 1


def test_a_newer_verification_voids_older_links(client, person):
    sign_in(client, person)
    request_link(client, "first@example.org")
    first = link_in_outbox("first@example.org")
    request_link(client, "second@example.org")
    client.post(link_in_outbox("second@example.org"))

    assert client.post(first).status_code == GONE
    person.refresh_from_db()
    assert person.email == "second@example.org"


def test_an_expired_link_is_refused(client, person, monkeypatch):
    sign_in(client, person)
    request_link(client)
    link = link_in_outbox()
    later = time.time() + 25 * 3600  # the default lifetime is 24 hours
    # Only the signing module's clock moves on (the session must stay young).
    monkeypatch.setattr(signing, "time", SimpleNamespace(time=lambda: later))

    response = client.post(link)

    assert response.status_code == GONE
    assert "expired" in response.content.decode()
    person.refresh_from_db()
    assert person.email == "nina@example.org"


@pytest.mark.parametrize("where", ["payload", "signature"])
def test_a_tampered_link_is_refused(client, person, where):
    sign_in(client, person)
    request_link(client)
    token = link_in_outbox().split("/")[-2]
    index = 3 if where == "payload" else -3
    tampered = token[:index] + ("A" if token[index] != "A" else "B") + token[index + 1 :]

    assert client.post(f"/accounts/email/verify/{tampered}/").status_code == GONE
    person.refresh_from_db()
    assert person.email == "nina@example.org" and person.email_verified_at is None


def test_a_link_signed_for_another_address_by_hand_is_refused(client, person):
    """Without the secret key nobody can mint a link; with a wrong salt it is refused."""
    forged = signing.dumps({"user": person.pk, "email": "evil@example.org", "state": "x"})
    sign_in(client, person)
    assert client.post(f"/accounts/email/verify/{forged}/").status_code == GONE


def test_another_persons_link_is_refused(client, person, make_member):
    sign_in(client, person)
    request_link(client)
    link = link_in_outbox()
    other = make_member(Role.RESPONDER, username="oscar")
    client.logout()
    sign_in(client, other)

    response = client.post(link)

    assert response.status_code == GONE
    assert "someone else" in response.content.decode()
    other.refresh_from_db()
    person.refresh_from_db()
    assert other.email != NEW and person.email != NEW
    assert not AuditEvent.objects.filter(action="account.email_verified").exists()


def test_following_the_link_needs_signing_in(client, person):
    token = services.email_change_request(user=person, email=NEW)
    response = client.get(f"/accounts/email/verify/{token}/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_asking_for_a_link_needs_a_step_up(client, person):
    sign_in(client, person, step_up=False)
    response = request_link(client)
    assert response.status_code == 302 and "/accounts/step-up/" in response["Location"]
    assert not Notification.objects.exists()
    assert not AuditEvent.objects.filter(action="account.email_change_requested").exists()


@pytest.mark.parametrize(
    ("email", "message"),
    [("not-an-address", "valid email"), ("", "Give an e-mail address")],
)
def test_a_bad_address_is_refused_and_sends_nothing(client, person, email, message):
    sign_in(client, person)
    response = request_link(client, email)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Notification.objects.exists()


def test_an_address_of_someone_else_gets_no_link_and_the_asker_cannot_tell(
    client, person, make_member
):
    make_member(Role.RESPONDER, username="oscar", email="oscar@example.org")
    sign_in(client, person)
    taken = request_link(client, "OSCAR@example.org")
    free = request_link(client, NEW)
    # The same answer for a taken address as for a free one: no account enumeration.
    assert taken.status_code == free.status_code == 302
    assert taken["Location"] == free["Location"]
    notice = Notification.objects.get(to_address="OSCAR@example.org")
    assert "already belongs to a Cordon account" in notice.body
    assert "/accounts/email/verify/" not in notice.body and not notice.sensitive
    refused = AuditEvent.objects.get(action="account.email_change_requested", outcome="denied")
    assert refused.data["reason"] == "address in use"
    person.refresh_from_db()
    assert person.email == "nina@example.org"


def test_a_newer_request_voids_the_older_link_even_unfollowed(client, person):
    sign_in(client, person)
    request_link(client, "first@example.org")
    first = link_in_outbox("first@example.org")
    request_link(client, NEW)
    assert client.post(first).status_code == GONE
    person.refresh_from_db()
    assert person.email == "nina@example.org"
    assert client.post(link_in_outbox()).status_code == 302
    person.refresh_from_db()
    assert person.email == NEW


def test_a_refused_link_is_logged_without_its_token(client, person, make_member, caplog):
    sign_in(client, person)
    request_link(client)
    link = link_in_outbox()
    token = link.rstrip("/").rsplit("/", 1)[1]
    client.logout()
    sign_in(client, make_member(Role.RESPONDER, username="oscar"))
    caplog.set_level("WARNING", logger="django.request")

    assert client.get(link).status_code == GONE

    refusal = AuditEvent.objects.get(action=f"http.{GONE}")
    assert refusal.data["path"] == "/accounts/email/verify/[redacted]/"
    assert not [e.pk for e in AuditEvent.objects.all() if token in json.dumps(e.data)]
    from audit.logging import JsonFormatter

    lines = [JsonFormatter().format(record) for record in caplog.records]
    assert lines and not any(token in line for line in lines)
    assert any("[redacted]" in line for line in lines)


def test_the_security_page_says_verified_or_unverified(client, person):
    sign_in(client, person)
    assert "unverified" in client.get("/accounts/security/").content.decode()


def test_an_unverified_current_address_can_be_verified(client, person):
    sign_in(client, person)
    request_link(client, "nina@example.org")
    client.post(link_in_outbox("nina@example.org"))
    person.refresh_from_db()
    assert person.email_verified_at is not None
    # and then asking again is refused: nothing to verify
    assert request_link(client, "nina@example.org").status_code == 422


def test_accepting_an_invitation_verifies_the_invited_address(client, lead):
    _, raw = services.member_invite(
        actor=lead, username="ivy", email="ivy@example.org", role=Role.RESPONDER
    )
    response = client.post(
        f"/accounts/invitation/{raw}/", {"new_password1": PASSWORD, "new_password2": PASSWORD}
    )
    assert response.status_code == 302
    ivy = User.objects.get(username="ivy")
    assert ivy.email_verified_at is not None
    event = AuditEvent.objects.get(action="account.email_verified")
    assert event.data == {"email": "ivy@example.org", "via": "invitation"}


def test_members_from_the_command_line_are_unverified(person):
    call_command("create_member", "cli-person", "--role", "responder", "--email", "c@example.org")
    assert User.objects.get(username="cli-person").email_verified_at is None
    services.email_verify(user=person, token=services.email_change_request(user=person, email=NEW))
    person.refresh_from_db()
    assert person.email_verified_at is not None
    # A new address set on the command line is not verified either.
    call_command("create_member", "nina", "--role", "responder", "--email", "other@example.org")
    person.refresh_from_db()
    assert person.email_verified_at is None
