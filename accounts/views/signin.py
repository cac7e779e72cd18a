"""Signing in: password, second factor, enrolment, step-up, sign-out, password change."""

from base64 import b32encode

import segno
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

import audit
from accounts import services, twofactor
from accounts.forms import ChangePasswordForm, OtpTokenForm
from core.views import login_required

WRONG_CODE = "That code is not valid, or it was used already."
THROTTLED = "Too many wrong codes. Wait a little before you try again."
REDIRECT = 302


class LoginView(auth_views.LoginView):
    """Password first. Unknown user, wrong password and deactivated account read alike."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        user = self.request.user
        if user.must_change_password and not twofactor.has_any_factor(user):
            # A one-time password (the first lead's, or create_member's) came from the
            # operator: the session may enrol a first device once it is changed.
            twofactor.first_enrolment_allow(self.request, via=twofactor.VIA_ONE_TIME_PASSWORD)
        return response

    def get_success_url(self):
        wanted = super().get_success_url()
        user = self.request.user
        if user.must_change_password:
            return reverse("accounts:password_change")
        if not twofactor.has_any_factor(user):
            return reverse("accounts:2fa_setup")
        return f"{reverse('accounts:verify')}?{urlencode({'next': wanted})}"


class LogoutView(auth_views.LogoutView):
    """POST only (Django's LogoutView refuses GET): the session ends on the server."""


def _code_page(request, template, form, status=200, **context):
    """A page asking for a code; its help mentions backup codes only to someone who has
    some."""
    context.setdefault("backup_codes", twofactor.has_backup_codes(request.user))
    return render(request, template, {"form": form, **context}, status=status)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def verify(request):
    """/accounts/verify/: the second factor after the password (field otp_token)."""
    next_url = twofactor.safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if request.user.is_verified():
        return redirect(next_url)
    if not twofactor.has_any_factor(request.user):
        return redirect("accounts:2fa_setup")
    return _code_form(
        request,
        "accounts/verify.html",
        next_url,
        granted=("otp.verified", {}),
        refused="otp.failed",
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def step_up(request):
    """/accounts/step-up/?next=…: a fresh code before a sensitive action."""
    next_url = twofactor.safe_next(request, request.POST.get("next") or request.GET.get("next"))
    label = twofactor.pending_action_label(request, next_url)
    response = _code_form(
        request,
        "accounts/step_up.html",
        next_url,
        granted=("step_up.granted", {"next": next_url, **({"action": label} if label else {})}),
        refused="step_up.refused",
        action=label,
    )
    if request.method == "POST" and response.status_code == REDIRECT:
        twofactor.pending_action_clear(request)
    return response


def _code_form(request, template: str, next_url: str, *, granted, refused: str, **context):
    """The one-time-code form of the verify and step-up pages: a good code binds the
    device and rotates the session (twofactor.mark_verified); every try is audited."""
    form = OtpTokenForm(request.POST or None)
    if request.method != "POST" or not form.is_valid():
        return _code_page(request, template, form, next=next_url, **context)
    device, throttled = twofactor.check_code_unless_throttled(
        request.user, form.cleaned_data["otp_token"]
    )
    if device is not None:
        twofactor.mark_verified(request, device)
        action, data = granted
        audit.record(action, actor=request.user, data={**data, "device": type(device).__name__})
        return redirect(next_url)
    audit.record(refused, actor=request.user, outcome="failure")
    form.add_error("otp_token", THROTTLED if throttled else WRONG_CODE)
    status = 429 if throttled else 200
    return _code_page(request, template, form, status=status, next=next_url, **context)


def _qr_svg(config_url: str) -> str:
    # segno writes plain SVG markup (no script), safe to embed under a strict CSP.
    return segno.make(config_url, error="m").svg_inline(scale=4, dark="#111", light="#fff")


def _grouped_key(device) -> str:
    key = b32encode(device.bin_key).decode()
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@twofactor.device_add_required(return_to="accounts:2fa_setup")
def totp_setup(request):
    """/accounts/2fa/setup/: enrol an authenticator app (QR code and key as text).

    Adding a device follows twofactor.device_add_refusal: a verified session with a fresh
    step-up, or a person's first device through a first-enrolment path (invitation,
    one-time password, a lead's second-factor reset). A person with no factor and no such
    path is told to ask a lead for a reset.
    """
    user = request.user
    first_enrolment = twofactor.is_first_enrolment(request)
    device = services.totp_device_pending(user=user)
    form = OtpTokenForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        # Wrong codes make the new device back off as a confirmed one does: while it
        # does, say so (as the sign-in does), rather than call a right code wrong.
        if not device.verify_is_allowed()[0]:
            form.add_error("otp_token", THROTTLED)
            status = 429
        elif (
            codes := services.totp_device_confirm(
                user=user, device=device, token=form.cleaned_data["otp_token"]
            )
        ) is not None:
            device.refresh_from_db()
            if first_enrolment:
                twofactor.first_enrolment_complete(request, device)
            # Without an e-mail address (the first lead), the next page asks for one.
            onward = reverse("incidents:list" if user.email else "accounts:email_first")
            context = {"codes": codes, "first": True, "onward": onward}
            return render(request, "accounts/backup_codes.html", context)
        else:
            form.add_error("otp_token", WRONG_CODE)
    return _code_page(
        request,
        "accounts/totp_setup.html",
        form,
        status=status,
        qr_svg=_qr_svg(device.config_url),
        key=_grouped_key(device),
        enrolling=True,
    )


class PasswordChangeView(auth_views.PasswordChangeView):
    """Needs the current password, and a step-up unless this replaces a one-time password."""

    template_name = "accounts/password_change.html"
    form_class = ChangePasswordForm
    success_url = reverse_lazy("incidents:list")

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and not user.must_change_password:
            return twofactor.step_up_required(super().dispatch)(request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        user = form.save()
        update_session_auth_hash(self.request, user)
        self.request.session.cycle_key()
        if form.cleaned_data.get("end_other_sessions"):
            services.sessions_end(user=user, actor=user, keep=self.request.session.session_key)
        messages.success(self.request, "Your password was changed.")
        return HttpResponseRedirect(self.get_success_url())
