"""/accounts/factor-reset/<token>/: the person's side of a lead's second-factor reset
(open without signing in, like an invitation link). The link and the person's own
password sign them in on a first-enrolment path, and they set up a new authenticator.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import authenticate, login
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts import recovery, twofactor
from core.forms import Form
from core.views import UNPROCESSABLE

LINK_GONE = 410
WRONG_PASSWORD = "That is not the password of this account."  # noqa: S105 - a message


class FactorResetPasswordForm(Form):
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )


def _link_gone(request):
    """Unknown, used, expired and replaced links all get the same answer."""
    return render(request, "accounts/factor_reset_invalid.html", status=LINK_GONE)


@never_cache
@require_http_methods(["GET", "POST"])
def factor_reset(request, token: str):
    """Sign in with the password through the link (wrong passwords count towards the
    lockout like on the sign-in page), then enrol a new authenticator."""
    try:
        reset = recovery.factor_reset_check(token)
    except recovery.FactorResetNotValid:
        return _link_gone(request)
    person = reset.user
    form = FactorResetPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = authenticate(
            request, username=person.get_username(), password=form.cleaned_data["password"]
        )
        if user is None or user.pk != person.pk:
            form.add_error("password", WRONG_PASSWORD)
        else:
            try:
                recovery.factor_reset_use(raw_token=token, user=user)
            except recovery.FactorResetNotValid:
                return _link_gone(request)
            login(request, user)
            twofactor.first_enrolment_allow(request, via=twofactor.VIA_FACTOR_RESET)
            messages.success(request, "You are signed in. Now set up your new authenticator.")
            return redirect("accounts:2fa_setup")
    return render(
        request,
        "accounts/factor_reset.html",
        {"form": form, "person": person, "reset": reset},
        status=UNPROCESSABLE if form.errors else 200,
    )
