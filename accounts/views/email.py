"""Changing and verifying a person's e-mail address.

Alerts go to that address, so it changes only when the person follows a signed,
expiring, single-use link sent to the new address (accounts.services.email_verify).
Asking for the link needs a fresh step-up; following it needs the person signed in.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts import services, twofactor
from accounts.views.security import security_page
from core.views import UNPROCESSABLE, login_required

LINK_GONE = 400


@login_required
@require_POST
@twofactor.step_up_required(return_to="accounts:security")
def email_change(request):
    """POST `email`: send a verification link there."""
    email = request.POST.get("email", "")
    try:
        services.email_change_request(user=request.user, email=email)
    except ValidationError as error:
        return security_page(
            request, email_errors=error.messages, email_value=email, status=UNPROCESSABLE
        )
    messages.success(
        request,
        "We sent a link to that address. Your address changes when you follow it.",
    )
    return redirect(reverse("accounts:security") + "#email")


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def email_verify(request, token: str):
    """GET shows what the link confirms; POST confirms it (a mail scanner that fetches
    the link changes nothing)."""
    if request.method == "POST":
        try:
            services.email_verify(user=request.user, token=token)
        except services.EmailVerificationNotValid as error:
            return _gone(request, str(error))
        except ValidationError as error:
            return _gone(request, " ".join(error.messages))
        messages.success(request, "Your e-mail address is verified.")
        return redirect(reverse("accounts:security") + "#email")
    try:
        email = services.email_verification_check(user=request.user, token=token)
    except services.EmailVerificationNotValid as error:
        return _gone(request, str(error))
    return render(request, "accounts/email_verify.html", {"token": token, "email": email})


def _gone(request, reason: str):
    return render(
        request, "accounts/email_verify_invalid.html", {"reason": reason}, status=LINK_GONE
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@twofactor.step_up_required(return_to="accounts:email_first")
def email_first(request):
    """/accounts/email/first/: right after a first enrolment, a person without an e-mail
    address (the first lead, a member created without one) is asked for one: alerts,
    invitations' answers and password resets go there. POST `email` sends the
    verification link, as the security page does; they may also go on without."""
    if request.method == "GET":
        if request.user.email:
            return redirect("incidents:list")
        return render(request, "accounts/email_first.html", {"email_value": ""})
    email = request.POST.get("email", "")
    try:
        services.email_change_request(user=request.user, email=email)
    except ValidationError as error:
        return render(
            request,
            "accounts/email_first.html",
            {"email_errors": error.messages, "email_value": email},
            status=UNPROCESSABLE,
        )
    messages.success(
        request,
        "We sent a link to that address. Follow it, signed in, to confirm the address.",
    )
    return redirect("incidents:list")
