"""Who may add a second-factor device, whatever its kind (issue 14, high).

One rule for TOTP, security keys and passkeys, and backup codes: a verified session
with a fresh step-up, or, for a person with no factor at all, the first-enrolment
path (an invitation, a one-time password, a lead's second-factor reset). A password
alone never adds a device, and registering a key never verifies a session by itself.

The security key is a software authenticator (tests/accounts/test_webauthn.py) that
drives the real /webauthn/registration/ endpoints with a valid "none" attestation.
"""

import time
from urllib.parse import urlsplit

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client, RequestFactory
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from accounts import twofactor
from accounts.models import ApiToken
from accounts.roles import Role
from accounts.services import backup_codes_regenerate, member_save
from tests.accounts.test_login import (  # noqa: F401 - fast_password_hashing is a fixture
    PASSWORD,
    fast_password_hashing,
    password_sign_in,
    post_code,
)
from tests.accounts.test_webauthn import (  # noqa: F401 - _relying_party is a fixture
    REGISTER_BEGIN,
    REGISTER_COMPLETE,
    SoftAuthenticator,
    _relying_party,
    age_step_up,
    post_json,
    register,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]

REGISTER_STATE_SESSION_KEY = "otp_webauthn_register_state"


@pytest.fixture
def lost_authenticator(db):
    """Nina had an authenticator and backup codes; she removed the authenticator."""
    user, _ = member_save(actor=None, username="nina", role=Role.RESPONDER, password=PASSWORD)
    device = TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)
    codes = backup_codes_regenerate(user=user, actor=user)
    device.delete()
    return user, codes


def thief_with_the_password():
    """A browser that went through the real password page, and nothing more."""
    browser = Client()
    response = password_sign_in(browser, "nina", PASSWORD)
    assert urlsplit(response["Location"]).path == "/accounts/verify/"
    return browser


def is_verified(client) -> bool:
    return client.get("/incidents/").status_code == 200


def state_for(user) -> tuple[dict, dict]:
    """(options, state) of a registration begun for `user` by other means, so that the
    completion is tried on its own."""
    request = RequestFactory().post(REGISTER_BEGIN)
    request.user = user
    helper = WebAuthnCredential.get_webauthn_helper(request=request)
    return helper.register_begin(user=user)


# --- The password alone ------------------------------------------------------------------


def test_a_password_alone_cannot_begin_a_key_registration_over_backup_codes(lost_authenticator):
    user, _ = lost_authenticator
    thief = thief_with_the_password()

    begin, complete = register(thief, SoftAuthenticator())

    assert begin.status_code == 403, begin.content
    assert begin.json()["code"] == "user_not_verified"
    assert complete is None
    assert REGISTER_STATE_SESSION_KEY not in thief.session
    assert not WebAuthnCredential.objects.filter(user=user).exists()
    assert DEVICE_ID_SESSION_KEY not in thief.session
    assert not is_verified(thief)


def test_a_password_alone_cannot_complete_a_key_registration_over_backup_codes(
    lost_authenticator,
):
    user, _ = lost_authenticator
    thief = thief_with_the_password()
    options, state = state_for(user)
    session = thief.session
    session[REGISTER_STATE_SESSION_KEY] = state
    session.save()

    complete = post_json(thief, REGISTER_COMPLETE, SoftAuthenticator().create(options))

    assert complete.status_code == 403, complete.content
    assert complete.json()["code"] == "user_not_verified"
    assert not WebAuthnCredential.objects.filter(user=user).exists()
    assert DEVICE_ID_SESSION_KEY not in thief.session
    assert not is_verified(thief)


def test_a_password_alone_gets_no_api_token_over_backup_codes(lost_authenticator):
    user, _ = lost_authenticator
    thief = thief_with_the_password()
    register(thief, SoftAuthenticator())

    response = thief.post(
        "/accounts/security/tokens/", {"name": "mine", "scopes": "incidents:read"}
    )

    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == "/accounts/verify/"
    assert not ApiToken.objects.filter(user=user).exists()


def test_a_password_alone_cannot_make_new_backup_codes(lost_authenticator):
    user, codes = lost_authenticator
    thief = thief_with_the_password()

    response = thief.post("/accounts/security/backup-codes/")

    assert urlsplit(response["Location"]).path == "/accounts/verify/"
    assert StaticDevice.objects.get(user=user).verify_token(codes[0])


# --- A code given in this session ---------------------------------------------------------


def test_after_a_backup_code_the_owner_registers_a_key(lost_authenticator):
    user, codes = lost_authenticator
    owner = thief_with_the_password()
    assert post_code(owner, "/accounts/verify/", codes[0]).status_code == 302
    bound_to = owner.session[DEVICE_ID_SESSION_KEY]

    begin, complete = register(owner, SoftAuthenticator())

    assert begin.status_code == 200 and complete.status_code == 200, complete.content
    assert WebAuthnCredential.objects.filter(user=user, confirmed=True).count() == 1
    # The session stays bound to the code that verified it.
    assert owner.session[DEVICE_ID_SESSION_KEY] == bound_to
    assert is_verified(owner)


def test_after_a_backup_code_a_stale_step_up_still_stops_a_registration(
    settings, lost_authenticator
):
    user, codes = lost_authenticator
    owner = thief_with_the_password()
    post_code(owner, "/accounts/verify/", codes[0])
    age_step_up(owner, settings.STEP_UP_MAX_AGE + 1)

    begin, _ = register(owner, SoftAuthenticator())

    assert begin.status_code == 401
    assert begin.json()["code"] == "step_up_required"
    assert not WebAuthnCredential.objects.filter(user=user).exists()


# --- The rule, asked directly ------------------------------------------------------------------


def test_the_rule_names_what_is_missing(rf, lost_authenticator):
    user, _ = lost_authenticator
    request = rf.post("/")
    request.session = SessionStore()
    request.user = user
    user.otp_device = None
    user.is_verified = lambda: user.otp_device is not None  # as django-otp's middleware does
    assert twofactor.device_add_refusal(request) == twofactor.NEEDS_VERIFIED_SESSION
    assert not twofactor.may_add_device(request)

    user.otp_device = StaticDevice.objects.get(user=user)
    assert twofactor.device_add_refusal(request) == twofactor.NEEDS_STEP_UP
    request.session[twofactor.STEP_UP_SESSION_KEY] = time.time()
    assert twofactor.device_add_refusal(request) is None
    assert twofactor.may_add_device(request)


# --- The first-enrolment path -----------------------------------------------------------------


def accept_invitation(browser, lead) -> None:
    """The invitee's real path: the lead invites, the invitee chooses a password by the link."""
    from accounts.services import member_invite

    _, raw = member_invite(
        actor=lead, username="ines", email="ines@example.org", role=Role.RESPONDER
    )
    link = f"/accounts/invitation/{raw}/"
    browser.get(link)
    response = browser.post(link, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert response["Location"] == "/accounts/2fa/setup/"


def test_an_invited_person_registers_a_key_as_first_device_and_is_signed_in(lead):
    browser = Client()
    accept_invitation(browser, lead)
    assert not is_verified(browser)

    begin, complete = register(browser, SoftAuthenticator())

    assert begin.status_code == 200 and complete.status_code == 200, complete.content
    credential = WebAuthnCredential.objects.get(user__username="ines")
    assert browser.session[DEVICE_ID_SESSION_KEY] == credential.persistent_id
    assert is_verified(browser)
    # The path is used up with the first device.
    assert twofactor.FIRST_ENROLMENT_SESSION_KEY not in browser.session


def test_the_first_enrolment_path_adds_one_device_then_the_usual_rule_holds(settings, lead):
    browser = Client()
    accept_invitation(browser, lead)
    register(browser, SoftAuthenticator())
    age_step_up(browser, settings.STEP_UP_MAX_AGE + 1)

    begin, _ = register(browser, SoftAuthenticator())

    assert begin.status_code == 401
    assert WebAuthnCredential.objects.filter(user__username="ines").count() == 1


def test_the_first_lead_registers_a_key_after_changing_the_one_time_password(db):
    from accounts.services import first_lead_ensure

    lead, one_time_password = first_lead_ensure()
    browser = Client()
    assert password_sign_in(browser, lead.username, one_time_password)["Location"] == (
        "/accounts/password/"
    )
    begin, _ = register(browser, SoftAuthenticator())
    assert begin.status_code == 302  # the one-time password is changed first
    new_password = "another-Strong-phrase-77"
    browser.post(
        "/accounts/password/",
        {
            "old_password": one_time_password,
            "new_password1": new_password,
            "new_password2": new_password,
        },
    )

    begin, complete = register(browser, SoftAuthenticator())

    assert begin.status_code == 200 and complete.status_code == 200, complete.content
    assert is_verified(browser)


def test_a_first_enrolment_path_counts_only_for_the_person_it_was_given_to(rf, lead):
    nobody_yet, _ = member_save(actor=None, username="noah", role=Role.RESPONDER, password=PASSWORD)
    request = rf.post("/")
    request.session = SessionStore()
    request.user = nobody_yet
    nobody_yet.otp_device = None
    nobody_yet.is_verified = lambda: False
    request.session[twofactor.FIRST_ENROLMENT_SESSION_KEY] = {
        "user": lead.pk,
        "via": twofactor.VIA_INVITATION,
    }
    assert twofactor.device_add_refusal(request) == twofactor.NEEDS_FACTOR_RESET

    request.session[twofactor.FIRST_ENROLMENT_SESSION_KEY] = {
        "user": nobody_yet.pk,
        "via": "made-up",
    }
    assert twofactor.device_add_refusal(request) == twofactor.NEEDS_FACTOR_RESET

    twofactor.first_enrolment_allow(request, via=twofactor.VIA_INVITATION)
    assert twofactor.device_add_refusal(request) is None
    assert twofactor.is_first_enrolment(request)
