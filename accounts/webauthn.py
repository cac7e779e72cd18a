"""Security keys and passkeys (django-otp-webauthn) as one more kind of second factor.

The package's ceremony views are subclassed here and routed in accounts/webauthn_urls.py
under the package's own URL names, so its template tags and scripts keep working.
Cordon's rules on top of the package's:

- Never passwordless: both authentication endpoints refuse a visitor who has not
  signed in with a password, whatever OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN says.
- A good assertion counts exactly like a good TOTP code: twofactor.mark_verified binds
  the credential, rotates the session key and restarts the step-up clock, and the
  audit log says otp.verified (after the password) or step_up.granted (later on).
- Registering a key adds a device: it follows the one rule for every kind of device,
  twofactor.device_add_refusal (a verified session and a fresh step-up, or a person's
  first device through a first-enrolment path), exactly as /accounts/2fa/setup/ does.
  A registration never verifies a session by itself: only a first device added through
  a first-enrolment path completes the sign-in (twofactor.first_enrolment_complete).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, resolve_url
from django.views.decorators.http import require_POST
from django_otp_webauthn import exceptions
from django_otp_webauthn import views as package_views
from django_otp_webauthn.helpers import WebAuthnHelper
from django_otp_webauthn.models import WebAuthnCredential

import audit
from accounts import services, twofactor
from core import json as bounded_json
from core.views import login_required

DEVICE_KIND = "webauthn"
PASSKEY_NAME = "Passkey"
SECURITY_KEY_NAME = "Security key"


class StepUpRequired(exceptions.OTPWebAuthnApiError):
    status_code = 401
    default_detail = (
        "Adding a security key or passkey needs a fresh one-time code (step-up). "
        "Confirm it is you, then try again."
    )
    default_code = "step_up_required"


class FactorResetRequired(exceptions.OTPWebAuthnApiError):
    status_code = 403
    default_detail = (
        "Your account has no second factor left, and a password alone cannot add one. "
        "Ask a lead of your team for a second-factor reset."
    )
    default_code = "factor_reset_required"


def credentials_of(user):
    """The person's confirmed security keys and passkeys, oldest first."""
    return WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("created_at")


class CordonWebAuthnHelper(WebAuthnHelper):
    """OTP_WEBAUTHN_HELPER_CLASS: names new credentials and audits their registration."""

    def create_credential(self, user, response, parsed_credential, original_data):
        device = super().create_credential(user, response, parsed_credential, original_data)
        # The package leaves the name empty; the security page lists devices by name.
        # A synced or discoverable credential is what people know as a passkey.
        base = (
            PASSKEY_NAME if (device.discoverable or device.backup_eligible) else SECURITY_KEY_NAME
        )
        taken = set(WebAuthnCredential.objects.filter(user=user).values_list("name", flat=True))
        name, number = base, 1
        while name in taken:
            number += 1
            name = f"{base} {number}"
        device.name = name
        return device

    def register_complete(self, user, state, data):
        with transaction.atomic():
            device = super().register_complete(user=user, state=state, data=data)
            audit.record(
                "otp.device_added",
                actor=user,
                target=user,
                data={"kind": DEVICE_KIND, "name": device.name},
            )
        return device


class BoundedJSONMixin:
    """The package reads JSON bodies with json.loads, so a deeply nested body was a
    RecursionError (a 500); here they go through core.json like every API body, and too
    deep is the package's own 400 (malformed_request)."""

    def _parse_request_data(self, request):
        if request.content_type.split(";", 1)[0] != "application/json" or not request.body:
            return super()._parse_request_data(request)
        try:
            return bounded_json.loads(request.body)
        except ValueError as error:
            raise exceptions.MalformedRequest() from error


# --- Registration: the rule for adding any device (twofactor.device_add_refusal) -------


class RegistrationRulesMixin:
    """Cordon's access rules for both registration endpoints, checked before either does
    anything (the package calls check_can_register from `initial`).

    The package itself refuses an unverified session of an enrolled person (NotVerified,
    403); here "enrolled" means having any factor, backup codes included, so a password
    alone never registers a key over them. The rest is twofactor.device_add_refusal.
    """

    def user_is_mfa_enrolled(self, user) -> bool:
        return twofactor.has_any_factor(user)

    def check_can_register(self):
        super().check_can_register()
        refusal = twofactor.device_add_refusal(self.request)
        if refusal is None:
            return
        user = self.request.user
        if refusal == twofactor.NEEDS_STEP_UP:
            audit.record(
                "step_up.required",
                actor=user,
                data={"path": self.request.path, "method": self.request.method},
                outcome="denied",
            )
            raise StepUpRequired()
        if refusal == twofactor.NEEDS_VERIFIED_SESSION:
            raise exceptions.NotVerified(detail=self.messages["user_not_verified"])
        if refusal == twofactor.NEEDS_FACTOR_RESET:
            audit.record(
                "otp.enrolment_refused",
                actor=user,
                target=user,
                data={"path": self.request.path, "reason": refusal, "kind": DEVICE_KIND},
                outcome="denied",
            )
            raise FactorResetRequired()
        raise exceptions.NotAuthenticated()

    def handle_exception(self, exc):
        if isinstance(exc, StepUpRequired):
            # Always JSON (the package's script reads the detail), with the step-up page
            # that leads back to the page the button was on, where the person starts again.
            # step_up_response answers JSON or a redirect depending on Accept; either way
            # it names that URL.
            step_up = twofactor.step_up_response(self.request)
            step_up_url = step_up.get("HX-Redirect") or step_up["Location"]
            response = JsonResponse(
                {"detail": str(exc), "code": exc.code, "step_up_url": step_up_url},
                status=exc.status_code,
            )
            response["WWW-Authenticate"] = 'OTP realm="step-up"'
            return response
        return super().handle_exception(exc)


class BeginRegistrationView(
    BoundedJSONMixin, RegistrationRulesMixin, package_views.BeginCredentialRegistrationView
):
    pass


class CompleteRegistrationView(
    BoundedJSONMixin, RegistrationRulesMixin, package_views.CompleteCredentialRegistrationView
):
    def post(self, *args, **kwargs):
        # check_can_register let an unverified session this far only on a first-enrolment
        # path; any other session that gets here is verified already, and stays bound to
        # the device it was verified with (the package binds the key only when unverified).
        first_enrolment = twofactor.is_first_enrolment(self.request)
        response = super().post(*args, **kwargs)
        if first_enrolment:
            # The package has bound the new credential to the session (django_otp.login);
            # as after a first TOTP device, the key rotates, the step-up clock starts and
            # the first-enrolment path is used up.
            twofactor.first_enrolment_complete(self.request, self.request.user.otp_device)
        return response


# --- Authentication: the second factor after the password, and step-up ----------------


class SecondFactorOnlyMixin:
    """Authentication only ever completes a password sign-in; it never starts one."""

    def check_can_authenticate(self):
        if not self.request.user.is_authenticated:
            raise exceptions.PasswordlessLoginDisabled()
        super().check_can_authenticate()


class BeginAuthenticationView(
    BoundedJSONMixin, SecondFactorOnlyMixin, package_views.BeginCredentialAuthenticationView
):
    pass


class CompleteAuthenticationView(
    BoundedJSONMixin, SecondFactorOnlyMixin, package_views.CompleteCredentialAuthenticationView
):
    def complete_auth(self, device):
        user = self.request.user
        if not user.is_authenticated:
            raise exceptions.PasswordlessLoginDisabled()
        if device.user_id != user.pk:
            raise exceptions.CredentialUserMismatch()
        step_up = user.is_verified()
        twofactor.mark_verified(self.request, device)
        audit.record(
            "step_up.granted" if step_up else "otp.verified",
            actor=user,
            data={
                "device": type(device).__name__,
                "kind": DEVICE_KIND,
                "next": self.get_success_url(),
            },
        )

    def get_success_url(self):
        return twofactor.safe_next(
            self.request, self.request.GET.get("next"), resolve_url(settings.LOGIN_REDIRECT_URL)
        )

    def handle_exception(self, exc):
        user = self.request.user
        if isinstance(exc, exceptions.OTPWebAuthnApiError) and user.is_authenticated:
            audit.record(
                "step_up.refused" if user.is_verified() else "otp.failed",
                actor=user,
                data={"kind": DEVICE_KIND, "code": exc.code},
                outcome="failure",
            )
        return super().handle_exception(exc)


# --- Removing a credential from the security page ----------------------------------


@require_POST
@login_required
@twofactor.step_up_required
def credential_remove(request, pk: int):
    """POST /accounts/webauthn/<pk>/remove/: remove one of my keys (needs a fresh step-up),
    never the last authenticator (services.device_remove)."""
    device = get_object_or_404(WebAuthnCredential, pk=pk, user=request.user)
    try:
        services.device_remove(user=request.user, device=device, actor=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, f"{device.name or SECURITY_KEY_NAME} was removed.")
    return redirect(twofactor.safe_next(request, request.POST.get("next")))
