"""Security keys and passkeys through HTTP: who may register one, who may use one, what a
good assertion does to the session, and removal. A software authenticator (an ES256 key
with "none" attestation) stands in for the hardware; tests/e2e drives a real browser."""

import base64
import hashlib
import json
import os
import re
import struct
import time
from html import unescape
from types import SimpleNamespace

import cbor2
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from django.contrib.auth.models import AnonymousUser
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from accounts import twofactor
from accounts.roles import Role
from accounts.services import member_save
from audit.models import AuditEvent
from tests.accounts.test_login import allow_first_enrolment
from tests.conftest import sign_in
from tests.incidents.test_views import assert_csp_safe

pytestmark = pytest.mark.django_db

PASSWORD = "a-Strong-passphrase-42"
RP_ID = "localhost"
ORIGIN = "https://localhost"
SESSION_USER_KEY = "_auth_user_id"

REGISTER_BEGIN = "/webauthn/registration/begin/"
REGISTER_COMPLETE = "/webauthn/registration/complete/"
AUTH_BEGIN = "/webauthn/authentication/begin/"
AUTH_COMPLETE = "/webauthn/authentication/complete/"

FLAG_USER_PRESENT = 0x01
FLAG_USER_VERIFIED = 0x04
FLAG_ATTESTED_DATA = 0x40
ES256 = -7


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class SoftAuthenticator:
    """Just enough of an authenticator for the server: one P-256 key, 'none' attestation."""

    def __init__(self, origin: str = ORIGIN):
        self.origin = origin
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(32)
        self.sign_count = 0

    def cose_public_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps(
            {
                1: 2,
                3: ES256,
                -1: 1,
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )

    def _client_data(self, kind: str, challenge: str) -> bytes:
        return json.dumps(
            {"type": kind, "challenge": challenge, "origin": self.origin, "crossOrigin": False}
        ).encode()

    def create(self, options: dict) -> dict:
        """navigator.credentials.create(), serialised as the browser script sends it."""
        client_data = self._client_data("webauthn.create", options["challenge"])
        auth_data = (
            hashlib.sha256(options["rp"]["id"].encode()).digest()
            + bytes([FLAG_USER_PRESENT | FLAG_USER_VERIFIED | FLAG_ATTESTED_DATA])
            + struct.pack(">I", self.sign_count)
            + bytes(16)  # AAGUID
            + struct.pack(">H", len(self.credential_id))
            + self.credential_id
            + self.cose_public_key()
        )
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {
            "id": b64url(self.credential_id),
            "rawId": b64url(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation),
                "transports": ["internal"],
            },
            "clientExtensionResults": {"credProps": {"rk": True}},
        }

    def get(self, options: dict) -> dict:
        """navigator.credentials.get(): a signature over the server's challenge."""
        self.sign_count += 1
        client_data = self._client_data("webauthn.get", options["challenge"])
        auth_data = (
            hashlib.sha256(options["rpId"].encode()).digest()
            + bytes([FLAG_USER_PRESENT | FLAG_USER_VERIFIED])
            + struct.pack(">I", self.sign_count)
        )
        signature = self.key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        return {
            "id": b64url(self.credential_id),
            "rawId": b64url(self.credential_id),
            "type": "public-key",
            "response": {
                "authenticatorData": b64url(auth_data),
                "clientDataJSON": b64url(client_data),
                "signature": b64url(signature),
            },
            "clientExtensionResults": {},
        }

    def enrol_directly(self, user, name="Security key") -> WebAuthnCredential:
        """Store this key for `user` as a registration would have."""
        credential = WebAuthnCredential(
            user=user,
            name=name,
            credential_id=self.credential_id,
            public_key=self.cose_public_key(),
            sign_count=self.sign_count,
            transports=["internal"],
            aaguid="00000000-0000-0000-0000-000000000000",
            discoverable=True,
        )
        credential.save()
        return credential


@pytest.fixture(autouse=True)
def _relying_party(settings):
    settings.OTP_WEBAUTHN_RP_ID = RP_ID
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [ORIGIN]
    settings.OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False


@pytest.fixture
def person(db):
    user, _ = member_save(actor=None, username="nina", role=Role.RESPONDER, password=PASSWORD)
    return user


@pytest.fixture
def other_person(db):
    user, _ = member_save(actor=None, username="omar", role=Role.RESPONDER, password=PASSWORD)
    return user


@pytest.fixture
def authenticator():
    return SoftAuthenticator()


def csrf_token(response) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode())
    assert match, "the page has no CSRF token"
    return match.group(1)


def post_json(client, url, data=None):
    return client.post(url, data=json.dumps(data or {}), content_type="application/json")


def register(client, authenticator):
    """The browser's two requests for a registration; returns (begin, complete) responses."""
    begin = post_json(client, REGISTER_BEGIN)
    if begin.status_code != 200:
        return begin, None
    return begin, post_json(client, REGISTER_COMPLETE, authenticator.create(begin.json()))


def authenticate(client, authenticator, next_url=None):
    begin = post_json(client, AUTH_BEGIN)
    assert begin.status_code == 200, begin.content
    url = AUTH_COMPLETE + (f"?next={next_url}" if next_url else "")
    return post_json(client, url, authenticator.get(begin.json()))


def password_session(client, user):
    """Signed in with the password only, as between the login page and /accounts/verify/."""
    client.force_login(user)


def actions(user) -> list[str]:
    return list(AuditEvent.objects.filter(actor=user).values_list("action", flat=True))


def age_step_up(client, seconds):
    session = client.session
    session[twofactor.STEP_UP_SESSION_KEY] = time.time() - seconds
    session.save()


# --- Enrolment ------------------------------------------------------------------------


def test_a_person_whose_only_device_is_a_security_key_counts_as_enrolled(
    client, person, authenticator
):
    assert twofactor.has_confirmed_device(person) is False
    authenticator.enrol_directly(person)
    StaticDevice.objects.create(user=person, name="Backup codes")
    assert twofactor.has_confirmed_device(person) is True

    csrf = Client(enforce_csrf_checks=True)
    page = csrf.get("/accounts/login/")
    response = csrf.post(
        "/accounts/login/",
        {"username": "nina", "password": PASSWORD, "csrfmiddlewaretoken": csrf_token(page)},
    )
    assert response["Location"].startswith("/accounts/verify/")
    assert csrf.get("/incidents/")["Location"].startswith("/accounts/verify/")
    # Backup codes alone never made anyone enrolled; the key does.
    assert not TOTPDevice.objects.filter(user=person).exists()


def test_a_first_key_on_a_first_enrolment_path_verifies_the_session(client, person, authenticator):
    password_session(client, person)
    allow_first_enrolment(client, person)
    key_before = client.session.session_key

    begin, complete = register(client, authenticator)

    assert begin.status_code == 200
    options = begin.json()
    assert options["rp"] == {"name": "Cordon", "id": RP_ID}
    assert options["authenticatorSelection"]["residentKey"] == "preferred"
    assert complete.status_code == 200, complete.content
    credential = WebAuthnCredential.objects.get(user=person)
    assert credential.pk == complete.json()["id"]
    assert credential.confirmed and credential.name == "Passkey"
    session = client.session
    assert session[DEVICE_ID_SESSION_KEY] == credential.persistent_id
    assert session.session_key != key_before
    assert 0 <= time.time() - session[twofactor.STEP_UP_SESSION_KEY] < 5
    event = AuditEvent.objects.get(action="otp.device_added")
    assert event.data == {"kind": "webauthn", "name": "Passkey"}
    assert client.get("/incidents/").status_code == 200
    assert twofactor.FIRST_ENROLMENT_SESSION_KEY not in session


def test_registration_is_refused_to_an_unverified_session_of_an_enrolled_person(
    client, person, authenticator
):
    TOTPDevice.objects.create(user=person, name="Authenticator app", confirmed=True)
    password_session(client, person)

    for url in (REGISTER_BEGIN, REGISTER_COMPLETE):
        response = post_json(
            client, url, authenticator.create({"challenge": "x", "rp": {"id": RP_ID}})
        )
        assert response.status_code == 403
        assert response.json()["code"] == "user_not_verified"
    assert "otp_webauthn_register_state" not in client.session
    assert not WebAuthnCredential.objects.exists()


def test_registration_is_refused_without_a_step_up(client, person, authenticator):
    sign_in(client, person, step_up=False)

    response = post_json(client, REGISTER_BEGIN)

    assert response.status_code == 401
    body = response.json()
    assert body["code"] == "step_up_required"
    assert body["step_up_url"].startswith("/accounts/step-up/?next=")
    assert response["WWW-Authenticate"] == 'OTP realm="step-up"'
    assert "otp_webauthn_register_state" not in client.session
    assert "step_up.required" in actions(person)


def test_registration_is_refused_with_a_stale_step_up(client, settings, person, authenticator):
    sign_in(client, person)
    age_step_up(client, settings.STEP_UP_MAX_AGE + 1)

    begin, _ = register(client, authenticator)

    assert begin.status_code == 401
    assert not WebAuthnCredential.objects.exists()


def test_a_step_up_that_goes_stale_during_the_ceremony_stops_the_completion(
    client, settings, person, authenticator
):
    sign_in(client, person)
    begin = post_json(client, REGISTER_BEGIN)
    assert begin.status_code == 200
    age_step_up(client, settings.STEP_UP_MAX_AGE + 1)

    response = post_json(client, REGISTER_COMPLETE, authenticator.create(begin.json()))

    assert response.status_code == 401
    assert not WebAuthnCredential.objects.exists()


def test_a_verified_member_with_a_fresh_step_up_adds_a_key(client, person, authenticator):
    totp = sign_in(client, person)

    _, complete = register(client, authenticator)

    assert complete.status_code == 200, complete.content
    credential = WebAuthnCredential.objects.get(user=person)
    # The session stays bound to the device that verified it.
    assert client.session[DEVICE_ID_SESSION_KEY] == totp.persistent_id
    assert "otp.device_added" in actions(person)
    # The browser offers no key the person has already registered.
    again = post_json(client, REGISTER_BEGIN).json()
    assert [c["id"] for c in again["excludeCredentials"]] == [b64url(credential.credential_id)]


def test_a_second_key_gets_a_name_of_its_own(client, person):
    sign_in(client, person)
    for _ in range(2):
        _, complete = register(client, SoftAuthenticator())
        assert complete.status_code == 200
    names = sorted(WebAuthnCredential.objects.values_list("name", flat=True))
    assert names == ["Passkey", "Passkey 2"]


def test_registration_needs_a_signed_in_person(client, authenticator):
    begin, _ = register(client, authenticator)
    assert begin.status_code == 403
    assert begin.json()["code"] == "not_authenticated"


def test_a_registration_from_another_origin_is_refused(client, person):
    sign_in(client, person)

    _, complete = register(client, SoftAuthenticator(origin="https://evil.example"))

    assert complete.status_code == 422
    assert not WebAuthnCredential.objects.exists()


# --- Authentication: the second factor after the password, and step-up -----------------


@pytest.mark.parametrize("passwordless_setting", [False, True])
def test_passwordless_login_is_disabled(
    client, settings, person, authenticator, passwordless_setting
):
    settings.OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = passwordless_setting
    authenticator.enrol_directly(person)

    begin = post_json(client, AUTH_BEGIN)
    complete = post_json(
        client, AUTH_COMPLETE, authenticator.get({"challenge": b64url(b"guess"), "rpId": RP_ID})
    )

    for response in (begin, complete):
        assert response.status_code == 403
        assert response.json()["code"] == "passwordless_login_disabled"
    assert SESSION_USER_KEY not in client.session
    assert client.get("/incidents/").status_code == 302


def test_a_key_completes_the_password_sign_in(person, authenticator):
    TOTPDevice.objects.create(user=person, name="Authenticator app", confirmed=True)
    credential = authenticator.enrol_directly(person)
    browser = Client(enforce_csrf_checks=True)
    page = browser.get("/accounts/login/")
    browser.post(
        "/accounts/login/",
        {
            "username": "nina",
            "password": PASSWORD,
            "next": "/incidents/new/",
            "csrfmiddlewaretoken": csrf_token(page),
        },
    )
    verify_page = browser.get("/accounts/verify/?next=/incidents/new/")
    body = verify_page.content.decode()
    assert 'id="passkey-verification-button"' in body
    assert 'id="otp_webauthn_config"' in body
    assert_csp_safe(verify_page)
    config = json.loads(
        unescape(body.split('id="otp_webauthn_config" hidden>')[1].split("</div>")[0])
    )
    assert config["autocompleteLoginFieldSelector"] is None
    key_before = browser.session.session_key

    headers = {"HTTP_X_CSRFTOKEN": config["csrfToken"]}
    begin = browser.post(config["beginAuthenticationUrl"], **headers)
    assert begin.status_code == 200
    assert [c["id"] for c in begin.json()["allowCredentials"]] == [b64url(credential.credential_id)]
    complete = browser.post(
        config["completeAuthenticationUrl"] + "?next=/incidents/new/",
        data=json.dumps(authenticator.get(begin.json())),
        content_type="application/json",
        **headers,
    )

    assert complete.status_code == 200, complete.content
    assert complete.json()["redirect_url"] == "/incidents/new/"
    session = browser.session
    assert session.session_key != key_before
    assert session[DEVICE_ID_SESSION_KEY] == credential.persistent_id
    assert twofactor.STEP_UP_SESSION_KEY in session
    event = AuditEvent.objects.filter(action="otp.verified").get()
    assert event.actor == person and event.data["kind"] == "webauthn"
    credential.refresh_from_db()
    assert credential.last_used_at is not None and credential.sign_count == 1
    assert browser.get("/incidents/").status_code == 200


def test_the_ceremony_refuses_a_request_without_the_csrf_token(person, authenticator):
    authenticator.enrol_directly(person)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(person)
    assert browser.post(AUTH_BEGIN).status_code == 403
    assert "otp_webauthn_authentication_state" not in browser.session


def test_a_key_does_not_send_the_person_to_another_site(client, person, authenticator):
    authenticator.enrol_directly(person)
    password_session(client, person)

    response = authenticate(client, authenticator, next_url="https://evil.example/")

    assert response.json()["redirect_url"] == "/incidents/"


def test_a_key_gives_a_step_up(client, settings, person, authenticator):
    sign_in(client, person, step_up=False)
    authenticator.enrol_directly(person)
    assert not twofactor.step_up_is_fresh(_request_with(client.session))

    response = authenticate(client, authenticator, next_url="/incidents/new/")

    assert response.status_code == 200
    assert twofactor.step_up_is_fresh(_request_with(client.session))
    event = AuditEvent.objects.get(action="step_up.granted")
    assert event.data["next"] == "/incidents/new/"


def test_someone_elses_key_is_refused(client, person, other_person):
    theirs = SoftAuthenticator()
    theirs.enrol_directly(other_person)
    TOTPDevice.objects.create(user=person, name="Authenticator app", confirmed=True)
    password_session(client, person)

    response = authenticate(client, theirs)

    assert response.status_code == 403
    assert response.json()["code"] == "credential_user_mismatch"
    assert DEVICE_ID_SESSION_KEY not in client.session
    assert client.get("/incidents/")["Location"].startswith("/accounts/verify/")
    assert "otp.failed" in actions(person)


def test_an_assertion_cannot_be_replayed(client, person, authenticator):
    authenticator.enrol_directly(person)
    password_session(client, person)
    begin = post_json(client, AUTH_BEGIN)
    assertion = authenticator.get(begin.json())
    assert post_json(client, AUTH_COMPLETE, assertion).status_code == 200

    client.logout()
    password_session(client, person)
    replay = post_json(client, AUTH_COMPLETE, assertion)

    assert replay.status_code == 400
    assert replay.json()["code"] == "invalid_state"
    assert DEVICE_ID_SESSION_KEY not in client.session


def test_a_forged_signature_is_refused(client, person, authenticator):
    authenticator.enrol_directly(person)
    password_session(client, person)
    impostor = SoftAuthenticator()
    impostor.credential_id = authenticator.credential_id

    response = authenticate(client, impostor)

    assert response.status_code == 422
    assert DEVICE_ID_SESSION_KEY not in client.session


def test_a_deactivated_persons_key_does_nothing(client, person, authenticator):
    authenticator.enrol_directly(person)
    password_session(client, person)
    person.is_active = False
    person.save(update_fields=["is_active"])

    begin = post_json(client, AUTH_BEGIN)

    assert begin.status_code == 403
    assert DEVICE_ID_SESSION_KEY not in client.session


def test_only_the_ceremony_paths_under_webauthn_are_open(client, person):
    TOTPDevice.objects.create(user=person, name="Authenticator app", confirmed=True)
    password_session(client, person)
    assert client.get("/webauthn/anything-else/")["Location"].startswith("/accounts/verify/")
    assert client.get("/webauthn/jsi18n/").status_code == 200


# --- The pages ------------------------------------------------------------------------


def test_verify_and_step_up_pages_offer_a_key_only_to_people_who_have_one(
    client, person, authenticator
):
    TOTPDevice.objects.create(user=person, name="Authenticator app", confirmed=True)
    password_session(client, person)
    assert "passkey-verification-button" not in client.get("/accounts/verify/").content.decode()

    authenticator.enrol_directly(person)
    page = client.get("/accounts/verify/")
    assert "passkey-verification-button" in page.content.decode()
    assert_csp_safe(page)

    sign_in(client, person, step_up=False)
    page = client.get("/accounts/step-up/?next=/incidents/")
    assert "passkey-verification-button" in page.content.decode()
    assert 'name="next" value="/incidents/"' in page.content.decode()
    assert_csp_safe(page)


def _request_with(session, user=None, path="/accounts/security/"):
    request = RequestFactory().get(path)
    request.session = session
    request.user = user or AnonymousUser()
    return request


def test_the_devices_partial_lists_my_keys_with_remove_and_register(
    client, person, other_person, authenticator
):
    mine = authenticator.enrol_directly(person, name="Blue key")
    SoftAuthenticator().enrol_directly(other_person, name="Not mine")
    sign_in(client, person)

    html = render_to_string(
        "accounts/partials/webauthn_devices.html",
        request=_request_with(client.session, person),
    )

    assert "Blue key" in html and "Not mine" not in html
    assert f'action="/accounts/webauthn/{mine.pk}/remove/"' in html
    assert 'id="passkey-register-button"' in html
    assert "django_otp_webauthn/otp_webauthn_register." in html and "/js/webauthn." in html
    assert 'data-step-up-url="/accounts/step-up/?next=/accounts/security/"' in html

    assert_csp_safe(SimpleNamespace(content=html.encode()))


# --- Removal --------------------------------------------------------------------------


def test_removing_a_key_needs_a_step_up(client, person, authenticator):
    credential = authenticator.enrol_directly(person)
    sign_in(client, person, step_up=False)

    response = client.post(
        f"/accounts/webauthn/{credential.pk}/remove/",
        {"next": "/accounts/security/"},
        HTTP_REFERER="http://testserver/accounts/security/",
    )

    assert response.status_code == 302
    assert response["Location"] == "/accounts/step-up/?next=%2Faccounts%2Fsecurity%2F"
    assert WebAuthnCredential.objects.filter(pk=credential.pk).exists()


def test_removing_a_key_with_a_fresh_step_up(client, person, authenticator):
    credential = authenticator.enrol_directly(person)
    sign_in(client, person)

    response = client.post(
        f"/accounts/webauthn/{credential.pk}/remove/", {"next": "/accounts/security/"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/accounts/security/"
    assert not WebAuthnCredential.objects.filter(pk=credential.pk).exists()
    event = AuditEvent.objects.get(action="otp.device_removed")
    assert event.data == {"kind": "WebAuthnCredential", "name": "Security key"}


def test_nobody_removes_someone_elses_key(client, person, other_person):
    theirs = SoftAuthenticator().enrol_directly(other_person)
    sign_in(client, person)

    assert client.post(f"/accounts/webauthn/{theirs.pk}/remove/").status_code == 404
    assert client.get(f"/accounts/webauthn/{theirs.pk}/remove/").status_code == 405
    assert WebAuthnCredential.objects.filter(pk=theirs.pk).exists()
