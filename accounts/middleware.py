"""What a signed-in browser session must have done before it may see anything:
change a one-time password, give a second factor, stay within its lifetime."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.contrib.messages.storage import default_storage
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django_otp.plugins.otp_static.models import StaticDevice

from accounts.sessions import SESSION_STARTED_KEY
from accounts.twofactor import has_any_factor, has_confirmed_device, page_of

# Reachable without a second factor: signing in and out, the second-factor pages,
# the links sent by e-mail, the token API (it has its own authentication), health
# and static files.
OPEN_PREFIXES = (
    "/accounts/login/",
    "/accounts/logout/",
    "/accounts/verify/",
    "/accounts/2fa/setup/",
    "/accounts/password/reset/",
    "/accounts/invitation/",
    "/accounts/factor-reset/",
    # Security keys and passkeys: each path named, so nothing added under /webauthn/
    # later is open by accident. The ceremony views check the session themselves
    # (accounts/webauthn.py): authentication needs the password session; registration
    # follows twofactor.device_add_refusal (a verified session and a fresh step-up, or a
    # first device through a first-enrolment path).
    "/webauthn/authentication/begin/",
    "/webauthn/authentication/complete/",
    "/webauthn/registration/begin/",
    "/webauthn/registration/complete/",
    "/webauthn/jsi18n/",
    "/api/",
    "/healthz",
    "/static/",
)
PASSWORD_CHANGE_PATH = "/accounts/password/"  # noqa: S105 - a URL path


def _is_open(path: str) -> bool:
    return path.startswith(OPEN_PREFIXES)


def _send_to(request, url: str):
    """A redirect; for htmx, 401 with HX-Redirect, so the whole page goes there (a redirect
    followed inside htmx would put the login form into a page section)."""
    if request.headers.get("HX-Request") == "true":
        response = HttpResponse(status=401)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _to_login(request):
    return _send_to(request, redirect_to_login(page_of(request), settings.LOGIN_URL)["Location"])


class PasswordChangeRequiredMiddleware:
    """A person who signed in with a one-time password changes it before anything else."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and user.must_change_password
            and request.path != PASSWORD_CHANGE_PATH
            and not request.path.startswith(("/accounts/logout/", "/static/", "/healthz"))
        ):
            return redirect("accounts:password_change")
        return self.get_response(request)


class SecondFactorRequiredMiddleware:
    """Every page but the open ones needs a session verified with a second factor.

    Anonymous visitors go to the login page; a person with a factor (an authenticator,
    a key, or backup codes) goes to /accounts/verify/; one with none goes to enrolment
    and can do nothing else (the enrolment page itself decides whether this session may
    enrol, or must ask a lead for a second-factor reset: twofactor.device_add_refusal).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path
        if _is_open(path):
            return self.get_response(request)
        user = request.user
        if not user.is_authenticated:
            return _to_login(request)
        if user.must_change_password and path == PASSWORD_CHANGE_PATH:
            return self.get_response(request)
        if not user.is_verified():
            if has_any_factor(user):
                query = urlencode({"next": page_of(request)})
                return _send_to(request, f"{reverse('accounts:verify')}?{query}")
            return _send_to(request, reverse("accounts:2fa_setup"))
        if isinstance(user.otp_device, StaticDevice) and not has_confirmed_device(user):
            # Verified with a backup code, but no authenticator left: enrol one first.
            return _send_to(request, reverse("accounts:2fa_setup"))
        return self.get_response(request)


class SessionLifetimeMiddleware:
    """Ends a session that outlived SESSION_ABSOLUTE_LIFETIME, however busy it was.

    The idle timeout is the session's own expiry (SESSION_COOKIE_AGE, renewed on
    every request); this adds the absolute limit.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            started = request.session.get(SESSION_STARTED_KEY)
            if started is None or time.time() - started > settings.SESSION_ABSOLUTE_LIFETIME:
                logout(request)
                # MessageMiddleware comes later and will not run for this answer, so the
                # notice is stored here (in a cookie: the session was just emptied).
                notices = default_storage(request)
                notices.add(messages.INFO, "Your session ended. Please sign in again.")
                response = _to_login(request)
                notices.update(response)
                return response
        return self.get_response(request)
