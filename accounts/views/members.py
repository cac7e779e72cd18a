"""/accounts/members/: leads invite people, change their roles, deactivate and reactivate
them, and reset the second factor of someone who lost theirs. Everyone else gets 403
(this is not incident data, so nothing to hide by 404).

Every change is a POST that needs a fresh step-up and calls one service.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp import device_classes
from django_otp.plugins.otp_static.models import StaticDevice

from accounts import recovery, services, twofactor
from accounts.forms import InviteForm, RoleForm
from accounts.models import FactorReset, Invitation, User, hash_token
from accounts.roles import ROLE_NAMES, Role
from core.forms import apply_service_errors
from core.views import UNPROCESSABLE, login_required

sensitive = twofactor.step_up_required(return_to="accounts:members")
PASSWORD_BACKEND = "django.contrib.auth.backends.ModelBackend"  # noqa: S105 - a dotted path


def lead_required(view):
    """Only an active lead may manage members; anyone else is refused with 403."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.has_role(Role.LEAD):
            raise PermissionDenied("Only leads manage members.")
        return view(request, *args, **kwargs)

    return wrapped


def _members_url() -> str:
    return reverse("accounts:members")


def _ids_with_second_factor() -> set[int]:
    """People with a confirmed device they can sign in with (backup codes alone don't count)."""
    ids: set[int] = set()
    for model in device_classes():
        if issubclass(model, StaticDevice):
            continue
        ids.update(model.objects.filter(confirmed=True).values_list("user_id", flat=True))
    return ids


def _rows(request) -> list[dict]:
    now = timezone.now()
    with_second_factor = _ids_with_second_factor()
    latest_invitation: dict[int, Invitation] = {}
    for sent in Invitation.objects.order_by("created_at"):
        latest_invitation[sent.user_id] = sent
    open_reset = {
        reset.user_id: reset
        for reset in FactorReset.objects.filter(used_at__isnull=True, expires_at__gt=now).order_by(
            "created_at"
        )
    }
    rows = []
    for person in User.objects.prefetch_related("groups").order_by("username"):
        latest = latest_invitation.get(person.pk)
        # The invitation still waiting to be accepted, if any.
        pending = latest if latest is not None and latest.accepted_at is None else None
        if not person.is_active:
            state = "deactivated"
        elif pending is not None and pending.expires_at > now:
            state = "invited"
        elif pending is not None and not person.has_usable_password():
            state = "invitation expired"
        else:
            state = "active"
        roles = sorted(group.name for group in person.groups.all() if group.name in ROLE_NAMES)
        rows.append(
            {
                "person": person,
                "role": roles[0] if roles else "",
                "state": state,
                "invitation": pending,
                "has_second_factor": person.pk in with_second_factor,
                "factor_reset": open_reset.get(person.pk),
                "is_me": person.pk == request.user.pk,
            }
        )
    return rows


def _page(request, *, invite_form=None, status=200):
    context = {
        "rows": _rows(request),
        "invite_form": invite_form or InviteForm(),
        "roles": Role.choices,
    }
    return render(request, "accounts/members.html", context, status=status)


@never_cache
@login_required
@lead_required
@require_GET
def members(request):
    return _page(request)


@login_required
@lead_required
@require_POST
@sensitive
def member_invite(request):
    """Create the person and e-mail them a one-time link (or a new one, voiding the old)."""
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            person, _ = services.member_invite(
                actor=request.user,
                username=form.cleaned_data["username"],
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(
                request,
                f"An invitation link for {person.get_username()} was sent to {person.email}.",
            )
            return redirect(_members_url())
    return _page(request, invite_form=form, status=UNPROCESSABLE)


def _refused(request, error: ValidationError):
    for message in error.messages:
        messages.error(request, message)
    return redirect(_members_url())


@login_required
@lead_required
@require_POST
@sensitive
def member_role(request, pk: int):
    person = get_object_or_404(User, pk=pk)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose one of the roles.")
        return redirect(_members_url())
    try:
        services.member_change_role(actor=request.user, user=person, role=form.cleaned_data["role"])
    except ValidationError as error:
        return _refused(request, error)
    messages.success(
        request,
        f"{person.get_username()} is now {Role(form.cleaned_data['role']).label.lower()}.",
    )
    return redirect(_members_url())


@login_required
@lead_required
@require_POST
@sensitive
def member_deactivate(request, pk: int):
    person = get_object_or_404(User, pk=pk)
    try:
        services.member_deactivate(actor=request.user, user=person)
    except ValidationError as error:
        return _refused(request, error)
    messages.success(
        request,
        f"{person.get_username()} was deactivated: signed out everywhere, API tokens revoked.",
    )
    return redirect(_members_url())


@login_required
@lead_required
@require_POST
@sensitive
def member_reactivate(request, pk: int):
    person = get_object_or_404(User, pk=pk)
    services.member_reactivate(actor=request.user, user=person)
    messages.success(request, f"{person.get_username()} can sign in again.")
    return redirect(_members_url())


@login_required
@lead_required
@require_POST
@sensitive
def member_factor_reset(request, pk: int):
    """Reset the second factor of someone who lost every one: their devices, sessions and
    API tokens end now, and they get a one-time link to enrol a new authenticator."""
    person = get_object_or_404(User, pk=pk)
    try:
        recovery.factor_reset_issue(actor=request.user, user=person)
    except ValidationError as error:
        return _refused(request, error)
    messages.success(
        request,
        f"The second factor of {person.get_username()} was reset: their devices were removed, "
        f"they were signed out everywhere and their API tokens revoked. A one-time link to set "
        f"up a new authenticator was sent to {person.email}.",
    )
    return redirect(_members_url())


# --- The invitee's side: /accounts/invitation/<token>/ (open without signing in) ---------------

INVITATION_GONE = 410


def _open_invitation(token: str) -> Invitation | None:
    invitation = (
        Invitation.objects.select_related("user").filter(token_hash=hash_token(token or "")).first()
    )
    if invitation is None or not invitation.is_open or not invitation.user.is_active:
        return None
    return invitation


def _invitation_gone(request):
    """Unknown, used and expired links all get the same answer."""
    return render(request, "accounts/invitation_invalid.html", status=INVITATION_GONE)


@never_cache
@require_http_methods(["GET", "POST"])
def invitation(request, token: str):
    """Choose a first password, then sign in and go straight to enrolling an authenticator."""
    invitation = _open_invitation(token)
    if invitation is None:
        return _invitation_gone(request)
    person = invitation.user
    form = SetPasswordForm(person, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            person = services.invitation_accept(
                raw_token=token, password=form.cleaned_data["new_password1"]
            )
        except services.InvitationNotValid:
            return _invitation_gone(request)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            login(request, person, backend=PASSWORD_BACKEND)
            twofactor.first_enrolment_allow(request, via=twofactor.VIA_INVITATION)
            messages.success(
                request, "Your password is set. Now set up the authenticator app you will use."
            )
            return redirect("accounts:2fa_setup")
    return render(
        request,
        "accounts/invitation.html",
        {"form": form, "person": person, "invitation": invitation},
        status=UNPROCESSABLE if form.errors else 200,
    )
