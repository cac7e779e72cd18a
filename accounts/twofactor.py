"""Second factors and step-up: which devices a person has, who may add one (the one
rule for every kind: device_add_refusal), checking a code, and keeping the time of the
last check server-side in the session.

A code is checked against each of the person's confirmed devices through the
device's own verify_token, so django-otp's rules hold: a TOTP code is accepted
once (last_t), a backup code is used up, and wrong codes back off per device.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import django_otp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

import audit
from accounts.sessions import LOGIN_ATTEMPT_SESSION_KEY
from core.fetch_metadata import page_instead_of_action

STEP_UP_SESSION_KEY = "cordon_step_up_at"
# What the step-up being asked for confirms: {"label": …, "next": …} (PendingAction).
STEP_UP_ACTION_SESSION_KEY = "cordon_step_up_action"
# `?ready=<key>#ready` on the page the person returns to: the control of the action
# they confirmed, shown highlighted for them to press (ready_action).
READY_PARAMETER = "ready"
READY_ANCHOR = "ready"
BACKUP_DEVICE_NAME = "backup codes"
FORBIDDEN = 403


def confirmed_devices(user) -> list:
    return list(django_otp.devices_for_user(user, confirmed=True))


def has_confirmed_device(user) -> bool:
    """True when the person has a way to give a second factor (backup codes alone don't count)."""
    return any(not isinstance(device, StaticDevice) for device in confirmed_devices(user))


def has_backup_codes(user) -> bool:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).exists()


def has_any_factor(user) -> bool:
    """Whether the person has anything that can verify a session: an authenticator, a
    security key or passkey, or unused backup codes. Someone with none of these can be
    given a factor only through a first-enrolment path (see device_add_refusal)."""
    return has_confirmed_device(user) or has_backup_codes(user)


# --- Adding a device: one rule for every kind ---------------------------------------------
#
# TOTP enrolment, security keys and passkeys, and backup codes all ask device_add_refusal.
# A device added to an account is a way in for whoever adds it, so the password alone
# never adds one: it takes a session verified with a factor the person already has (and a
# fresh step-up), or, for a person with no factor at all, a session that came through a
# first-enrolment path. Those paths prove something besides the password:
#
# - an invitation: the link reached the person's mailbox, and they chose the password;
# - a one-time password: printed to the operator by `make run` (the first lead) or
#   create_member, and changed at once;
# - a second-factor reset: a lead, after step-up, sent the person a one-time link.
#
# The path is kept in the session, bound to the person, and used up by the first device.

FIRST_ENROLMENT_SESSION_KEY = "cordon_first_enrolment"
VIA_INVITATION = "invitation"
VIA_ONE_TIME_PASSWORD = "one_time_password"  # noqa: S105 - the name of a path, not a secret
VIA_FACTOR_RESET = "factor_reset"
FIRST_ENROLMENT_PATHS = (VIA_INVITATION, VIA_ONE_TIME_PASSWORD, VIA_FACTOR_RESET)

# Why adding a device is refused (device_add_refusal); None when it is allowed.
NOT_SIGNED_IN = "not_signed_in"
NEEDS_VERIFIED_SESSION = "needs_verified_session"
NEEDS_STEP_UP = "needs_step_up"
NEEDS_FACTOR_RESET = "needs_factor_reset"


def first_enrolment_allow(request, *, via: str) -> None:
    """The signed-in session came through a first-enrolment path (`via`, one of
    FIRST_ENROLMENT_PATHS): it may add one device while the person has no factor."""
    if via not in FIRST_ENROLMENT_PATHS:
        raise ValueError(f"Unknown first-enrolment path {via!r}.")
    request.session[FIRST_ENROLMENT_SESSION_KEY] = {"user": request.user.pk, "via": via}


def first_enrolment_path(request) -> str | None:
    """The first-enrolment path this session came through, or None."""
    allowed = request.session.get(FIRST_ENROLMENT_SESSION_KEY)
    if not isinstance(allowed, dict) or allowed.get("user") != request.user.pk:
        return None
    via = allowed.get("via")
    return via if via in FIRST_ENROLMENT_PATHS else None


def device_add_refusal(request) -> str | None:
    """Why this session may not add a second-factor device now, or None if it may.

    NEEDS_STEP_UP: verified, but the last code is older than STEP_UP_MAX_AGE.
    NEEDS_VERIFIED_SESSION: the person has a factor and has not given it in this session
    (backup codes count: whoever holds only the password must not enrol their own).
    NEEDS_FACTOR_RESET: no factor at all, and the session came through no first-enrolment
    path: only a lead's second-factor reset helps.
    """
    user = request.user
    if not user.is_authenticated or not user.is_active:
        return NOT_SIGNED_IN
    if user.is_verified():
        return None if step_up_is_fresh(request) else NEEDS_STEP_UP
    if has_any_factor(user):
        return NEEDS_VERIFIED_SESSION
    if first_enrolment_path(request) is None:
        return NEEDS_FACTOR_RESET
    return None


def may_add_device(request) -> bool:
    return device_add_refusal(request) is None


def is_first_enrolment(request) -> bool:
    """Whether a device added now would be added through a first-enrolment path (the
    only way an unverified session may add one)."""
    return may_add_device(request) and not request.user.is_verified()


def first_enrolment_complete(request, device) -> None:
    """The person's first device, added through a first-enrolment path, completes their
    sign-in as a first code would (mark_verified); the path is used up."""
    path = first_enrolment_path(request)
    request.session.pop(FIRST_ENROLMENT_SESSION_KEY, None)
    mark_verified(request, device)
    audit.record(
        "otp.first_enrolment",
        actor=request.user,
        target=request.user,
        data={"via": path, "device": type(device).__name__},
    )


def device_add_response(request, refusal: str, *, return_to: str):
    """The answer to a page that adds a device when device_add_refusal says no.
    `return_to` (a URL name) is where the person comes back after the code."""
    back = reverse(return_to)
    if refusal == NEEDS_STEP_UP:
        audit.record(
            "step_up.required",
            actor=request.user,
            data={"path": request.path, "method": request.method},
            outcome="denied",
        )
        return step_up_response(request, return_to)
    if refusal == NEEDS_VERIFIED_SESSION:
        return redirect(f"{reverse('accounts:verify')}?{urlencode({'next': back})}")
    if refusal == NEEDS_FACTOR_RESET:
        return factor_reset_needed_response(request)
    return redirect_to_login(back)


def factor_reset_needed_response(request):
    """The page for a person with no factor left and no first-enrolment path."""
    audit.record(
        "otp.enrolment_refused",
        actor=request.user,
        target=request.user,
        data={"path": request.path, "reason": NEEDS_FACTOR_RESET},
        outcome="denied",
    )
    return render(request, "accounts/factor_reset_needed.html", status=FORBIDDEN)


def device_add_required(*, return_to: str):
    """Decorator for a view that adds a device: it runs only when device_add_refusal
    allows it; otherwise device_add_response."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            refusal = device_add_refusal(request)
            if refusal is not None:
                return device_add_response(request, refusal, return_to=return_to)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def check_code(user, token: str):
    """The device that accepts `token`, or None. Every wrong try counts towards throttling."""
    token = (token or "").strip().replace(" ", "")
    if not token or len(token) > 64:
        return None
    with transaction.atomic():
        for device in django_otp.devices_for_user(user, confirmed=True, for_verify=True):
            if device.verify_token(token):
                return device
    return None


def throttled(user) -> bool:
    """Whether every device that could check a code is backing off after wrong codes."""
    devices = [d for d in confirmed_devices(user) if isinstance(d, TOTPDevice | StaticDevice)]
    return bool(devices) and all(not device.verify_is_allowed()[0] for device in devices)


def check_code_unless_throttled(user, token: str):
    """(device, refused_as_throttled): the device that accepts `token` (or None), and
    whether the code was not even looked at because the devices are backing off.

    Asked before the check, so a wrong code reads as wrong, and only a try made
    during the back-off reads as throttled (a correct code included).
    """
    if throttled(user):
        return None, True
    return check_code(user, token), False


def mark_verified(request, device) -> None:
    """The person just gave a good code: bind the device, rotate the session key, start
    the step-up clock. django-otp does not rotate the key on its own."""
    django_otp.login(request, device)
    request.session.cycle_key()
    audit.record(
        "session.rotated", actor=request.user, data={"reason": "second factor"}, request=request
    )
    request.session[STEP_UP_SESSION_KEY] = time.time()
    _complete_sign_in(request)


def _complete_sign_in(request) -> None:
    """The first good code of a session completes its sign-in: tell the person what
    happened on their account since their previous complete sign-in."""
    from accounts import services

    attempt_id = request.session.pop(LOGIN_ATTEMPT_SESSION_KEY, None)
    attempt = services.login_attempt_complete(user=request.user, attempt_id=attempt_id)
    if attempt is None:
        return
    failures = services.failed_attempts_since_previous_login(
        request.user, current_attempt_id=attempt.pk
    )
    password_only = services.password_only_sign_ins_since_previous_login(
        request.user, current_attempt_id=attempt.pk
    )
    if failures:
        count = len(failures)
        there = (
            "There has been 1 failed login attempt"
            if count == 1
            else (f"There have been {count} failed login attempts")
        )
        times = "Its time and address are" if count == 1 else "Their times and addresses are"
        messages.warning(request, f"{there} since your last login. {times} on your security page.")
    if password_only:
        times = _times(len(password_only))
        messages.error(
            request,
            f"Your password was used {times} since your last login "
            "without the second factor. If that was not you, change your password now.",
        )


def _times(count: int) -> str:
    return {1: "once", 2: "twice"}.get(count, f"{count} times")


def step_up_age(request) -> float | None:
    verified_at = request.session.get(STEP_UP_SESSION_KEY)
    if verified_at is None:
        return None
    return time.time() - float(verified_at)


def step_up_is_fresh(request) -> bool:
    age = step_up_age(request)
    return age is not None and 0 <= age < settings.STEP_UP_MAX_AGE


def safe_next(request, candidate: str | None, default: str = "/") -> str:
    """Where to go after a sign-in or a code: `candidate` when it is on this site (the
    page of an action such as a download rather than the action itself), else `default`."""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return page_instead_of_action(candidate)
    return default


def _same_host_path(request, url: str) -> str | None:
    parts = urlsplit(url)
    if parts.netloc != request.get_host() or not parts.path.startswith("/"):
        return None
    if parts.path.startswith("//"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def page_of(request) -> str:
    """The page the person is on, to come back to after signing in or a step-up.

    For htmx, the page htmx runs in (HX-Current-URL), not the section URL it called.
    After a POST, the page the form was on: the person sees it again and confirms,
    nothing is replayed silently. Only same-host paths count; otherwise "/".
    """
    if request.headers.get("HX-Request") == "true":
        current = _same_host_path(request, request.headers.get("HX-Current-URL", ""))
        if current:
            return current
    if request.method in ("GET", "HEAD"):
        return request.get_full_path()
    return _same_host_path(request, request.headers.get("Referer", "")) or "/"


def _wants_json(request) -> bool:
    accept = request.headers.get("Accept", "")
    return request.headers.get("HX-Request") == "true" or (
        "application/json" in accept and "text/html" not in accept
    )


@dataclass(frozen=True)
class PendingAction:
    """What a step-up confirms, for the person: `label` names it on the step-up page
    ("Download evidence #12 (dump.raw)"); `page` is where they do it (by default the
    page they were on), and `ready` the key of its control, which that page shows
    highlighted when they come back with a fresh code. Nothing is replayed: they
    press it themselves."""

    label: str
    page: str = ""
    ready: str = ""


def with_ready(url: str, ready: str) -> str:
    """`url` with `?ready=<ready>` (replacing any) and the `#ready` anchor."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "ready"]
    query.append((READY_PARAMETER, ready))
    return urlunsplit(("", "", parts.path, urlencode(query), READY_ANCHOR))


def ready_action(request) -> str:
    """The key of the action a page should offer highlighted: the `ready` parameter,
    while the step-up is fresh (a link with it from anywhere else shows nothing more)."""
    ready = request.GET.get(READY_PARAMETER, "")
    return ready if ready and step_up_is_fresh(request) else ""


def pending_action_label(request, next_url: str) -> str:
    """The name of the action the step-up for `next_url` confirms, or "". Kept in the
    session, never taken from the address: a link cannot make the page name another."""
    pending = request.session.get(STEP_UP_ACTION_SESSION_KEY)
    if isinstance(pending, dict) and pending.get("next") == next_url:
        return str(pending.get("label", ""))
    return ""


def pending_action_clear(request) -> None:
    request.session.pop(STEP_UP_ACTION_SESSION_KEY, None)


def step_up_response(request, return_to: str | None = None, *, action: PendingAction | None = None):
    """The answer to a sensitive request without a fresh second factor.

    Afterwards the person comes back to `return_to` (a URL name) or, by default, to
    the page the request came from, and confirms the action again. With `action`, the
    step-up page names it and the person comes back to its page with it ready.
    """
    back = reverse(return_to) if return_to else page_of(request)
    if action is not None:
        back = action.page or back
        if action.ready:
            back = with_ready(back, action.ready)
        request.session[STEP_UP_ACTION_SESSION_KEY] = {"label": action.label, "next": back}
    else:
        pending_action_clear(request)
    url = f"{reverse('accounts:step_up')}?{urlencode({'next': back})}"
    if _wants_json(request):
        body = {"detail": "This action needs a fresh one-time code (step-up).", "step_up_url": url}
        if action is not None:
            body["action"] = action.label
        response = JsonResponse(body, status=401)
        response["WWW-Authenticate"] = 'OTP realm="step-up"'
        response["HX-Redirect"] = url
        return response
    return redirect(url)


Describe = Callable[..., PendingAction | None]


def step_up_required(view=None, *, return_to: str | None = None, action: Describe | None = None):
    """Decorator for a view function of a sensitive action: it runs only within
    STEP_UP_MAX_AGE seconds of the last good code; otherwise step_up_response.

    `@step_up_required` or `@step_up_required(return_to="accounts:security")` for the
    actions of one page whose own URL takes only POSTs. `action(request, *args,
    **kwargs)`, given the view's arguments, names what is confirmed (PendingAction).
    """

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not step_up_is_fresh(request):
                audit.record(
                    "step_up.required",
                    actor=request.user if request.user.is_authenticated else None,
                    data={"path": request.path, "method": request.method},
                    outcome="denied",
                )
                pending = action(request, *args, **kwargs) if action else None
                return step_up_response(request, return_to, action=pending)
            return view(request, *args, **kwargs)

        wrapped.requires_step_up = True
        return wrapped

    return decorator(view) if view is not None else decorator


class StepUpRequiredMixin:
    """The same rule for class-based views."""

    def dispatch(self, request, *args, **kwargs):
        return step_up_required(super().dispatch)(request, *args, **kwargs)
