"""/accounts/security/: a person's own second-factor devices, backup codes, sessions,
API tokens and recent sign-in attempts, and the POSTs that change them.

Every change is a POST to its own URL that calls one service (which writes the audit
event). Adding or removing a device, new backup codes and creating or revoking a
token need a fresh step-up; ending sessions does not, so that someone who sees a
stranger's session can throw it out at once.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services, twofactor
from accounts.forms import ApiTokenForm
from accounts.models import ApiToken, LoginAttempt, UserSession
from accounts.scopes import Scope
from core.views import form_post, login_required

RECENT_ATTEMPTS = 20
DEVICE_MODELS = {"totp": TOTPDevice, "static": StaticDevice}


sensitive = twofactor.step_up_required(return_to="accounts:security")


def _security_url(section: str = "") -> str:
    return reverse("accounts:security") + (f"#{section}" if section else "")


def _devices(user) -> tuple[list[dict], int]:
    """The rows of the devices table (apps and backup codes; keys have their own
    partial), and how many authenticators (apps, keys, passkeys) the person has."""
    authenticators = [
        device
        for device in twofactor.confirmed_devices(user)
        if not isinstance(device, StaticDevice)
    ]
    rows = [
        {
            "kind": "totp",
            "pk": device.pk,
            "label": "Authenticator app",
            "name": device.name,
            "created_at": device.created_at,
            "last_used_at": device.last_used_at,
            "only_authenticator": len(authenticators) == 1,
        }
        for device in TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id")
    ]
    rows += [
        {
            "kind": "static",
            "pk": device.pk,
            "label": "Backup codes",
            "name": device.name,
            "created_at": device.created_at,
            "last_used_at": device.last_used_at,
            "remaining": device.remaining,
            "backup_codes_alone": not authenticators,
        }
        for device in StaticDevice.objects.filter(user=user, confirmed=True)
        .annotate(remaining=Count("token_set"))
        .order_by("id")
    ]
    return rows, len(authenticators)


def _sessions(request) -> list[dict]:
    current = request.session.session_key
    sessions = UserSession.objects.filter(
        user=request.user, expire_date__gt=timezone.now()
    ).order_by("-last_seen_at")
    return [
        {
            "public_id": services.session_public_id(session.session_key),
            "current": session.session_key == current,
            "created_at": session.created_at,
            "last_seen_at": session.last_seen_at,
            "ip": session.ip,
            "user_agent": session.user_agent,
        }
        for session in sessions
    ]


def _token_rows(user) -> list[dict]:
    now = timezone.now()
    rows = []
    for token in ApiToken.objects.filter(user=user):
        if token.revoked_at:
            state = "revoked"
        elif token.expires_at <= now:
            state = "expired"
        else:
            state = "active"
        rows.append({"token": token, "state": state})
    return rows


def _page(
    request,
    *,
    token_form=None,
    new_token=None,
    email_errors=(),
    email_value=None,
    status=200,
):
    user = request.user
    devices, authenticator_count = _devices(user)
    token_form = token_form or ApiTokenForm()
    chosen_scopes = token_form["scopes"].value() or ""
    recent_failures = {
        attempt.pk for attempt in services.failed_attempts_since_previous_login(user)
    }
    context = {
        "devices": devices,
        "authenticator_count": authenticator_count,
        "backup_codes_remaining": sum(d.get("remaining", 0) for d in devices),
        "has_backup_codes": any(d["kind"] == "static" for d in devices),
        "sessions": _sessions(request),
        "tokens": _token_rows(user),
        "token_form": token_form,
        "scope_choices": [
            {"value": value, "label": label, "checked": value in chosen_scopes.split()}
            for value, label in Scope.choices
        ],
        "new_token": new_token,
        "attempts": [
            {"attempt": attempt, "recent_failure": attempt.pk in recent_failures}
            for attempt in LoginAttempt.objects.filter(user=user)[:RECENT_ATTEMPTS]
        ],
        "email_errors": email_errors,
        "email_value": user.email if email_value is None else email_value,
    }
    return render(request, "accounts/security.html", context, status=status)


security_page = _page  # also renders the e-mail form's errors (accounts.views.email)


@never_cache
@login_required
@require_GET
def security(request):
    """/accounts/security/: everything about how the person signs in, in one page."""
    return _page(request)


# --- API tokens (CONTRACT.md: POST /accounts/security/tokens/ with name, scopes) --------


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def token_create(request):
    """POST creates a token. The page that shows it has this URL, so coming back to it
    (reload, Back, a step-up from that page) is a GET: it leads to the security page."""
    if request.method == "GET":
        return redirect(_security_url("tokens"))
    return _token_create(request)


@sensitive
def _token_create(request):
    """Create a token and show it this once; only its hash is kept."""
    data = request.POST.copy()
    data.setlist("scopes", [" ".join(request.POST.getlist("scopes"))])
    form = ApiTokenForm(data)
    return form_post(
        form,
        lambda data: services.api_token_issue(
            actor=request.user,
            user=request.user,
            name=data["name"],
            scopes=data["scopes"],
            expires_days=data["expires_days"] or services.DEFAULT_TOKEN_LIFETIME_DAYS,
        ),
        succeeded=lambda issued: _page(
            request, new_token={"token": issued[0], "raw": issued[1]}, status=201
        ),
        refused=lambda status: _page(request, token_form=form, status=status),
    )


@login_required
@require_POST
@sensitive
def token_revoke(request, pk: int):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    services.api_token_revoke(actor=request.user, token=token)
    messages.success(request, f"The token “{token.name}” was revoked.")
    return redirect(_security_url("tokens"))


# --- Second-factor devices and backup codes ------------------------------------------------


@login_required
@require_POST
@sensitive
def device_remove(request, kind: str, pk: int):
    """Remove one of my devices; never the last authenticator (services.device_remove)."""
    model = DEVICE_MODELS.get(kind)
    if model is None:
        raise Http404
    device = get_object_or_404(model, pk=pk, user=request.user, confirmed=True)
    try:
        services.device_remove(user=request.user, device=device, actor=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, f"“{device.name}” was removed.")
    return redirect(_security_url("devices"))


@never_cache
@login_required
@require_POST
@twofactor.device_add_required(return_to="accounts:security")
def backup_codes_regenerate(request):
    """New backup codes, shown only in this answer; the old ones stop working."""
    codes = services.backup_codes_regenerate(user=request.user, actor=request.user)
    return render(request, "accounts/backup_codes.html", {"codes": codes, "first": False})


# --- Sessions --------------------------------------------------------------------------


@login_required
@require_POST
def session_end(request, public_id: str):
    """End one of the person's sessions, named by its public id (never by its key)."""
    current = request.session.session_key
    if current and public_id == services.session_public_id(current):
        services.sessions_end(user=request.user, actor=request.user, public_id=public_id)
        logout(request)
        messages.info(request, "You ended this session. Sign in again to continue.")
        return redirect("accounts:login")
    ended = services.sessions_end(user=request.user, actor=request.user, public_id=public_id)
    if ended:
        messages.success(request, "The session was ended.")
    else:
        messages.info(request, "That session had already ended.")
    return redirect(_security_url("sessions"))


@login_required
@require_POST
def sessions_end_others(request):
    ended = services.sessions_end(
        user=request.user, actor=request.user, keep=request.session.session_key
    )
    messages.success(request, f"{ended} other session{'s' if ended != 1 else ''} ended.")
    return redirect(_security_url("sessions"))
