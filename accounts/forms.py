"""Forms of the accounts pages. Saving goes through accounts.services."""

import logging

from django import forms
from django.contrib.auth.forms import PasswordChangeForm, PasswordResetForm, SetPasswordForm
from django.core.mail import EmailMultiAlternatives

from accounts.roles import Role
from accounts.scopes import Scope
from core.forms import Form
from notifications.messages import absolute_url, render_message

logger = logging.getLogger("django.contrib.auth")


class ChangePasswordForm(PasswordChangeForm):
    """Django's form (current password, new password twice, validators); saved by a service."""

    end_other_sessions = forms.BooleanField(
        required=False, initial=True, label="Sign out my other sessions"
    )

    def save(self, commit=True):
        from accounts.services import user_change_password

        return user_change_password(user=self.user, new_password=self.cleaned_data["new_password1"])


class PasswordResetRequestForm(PasswordResetForm):
    """Django's form (it matches the address to accounts and sends the mails), mailing
    only the accounts that accounts.reset_requests allows now, which also audits it.

    The mail is sent at once, not through the outbox, so the link is never stored; its
    text is our message `password_reset` (notifications.messages), the link from SITE_URL
    and never from the request's host."""

    def save(self, *, request, **kwargs):
        self.request = request  # Django passes it to save(); get_users needs it
        return super().save(request=request, **kwargs)

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        message = render_message(
            "password_reset",
            {
                "username": context["user"].get_username(),
                "link": absolute_url(
                    "accounts:password_reset_confirm", uidb64=context["uid"], token=context["token"]
                ),
            },
        )
        email = EmailMultiAlternatives(message.subject, message.text, from_email, [to_email])
        email.attach_alternative(message.html, "text/html")
        try:
            email.send()
        except Exception:  # as Django's own: the page must read the same whether it went or not
            logger.exception("Failed to send password reset email to %s", context["user"].pk)

    def get_users(self, email):
        from accounts.reset_requests import password_reset_request

        return iter(
            password_reset_request(
                email=email, accounts=list(super().get_users(email)), request=self.request
            )
        )


class OtpTokenForm(forms.Form):
    otp_token = forms.CharField(
        label="One-time code",
        max_length=64,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
        help_text="The 6-digit code from your authenticator app, or one of your backup codes.",
    )


# --- The security page ---------------------------------------------------------


class ApiTokenForm(forms.Form):
    """CONTRACT.md: `name` and `scopes` (space-separated). The page's scope checkboxes send
    one `scopes` value each; the view joins them, so both forms of the field work."""

    name = forms.CharField(
        label="Name",
        max_length=100,
        help_text="What the token is for, e.g. the script or host that uses it.",
    )
    scopes = forms.CharField(
        label="Scopes",
        max_length=500,
        help_text="What the token may do. Give only what the script needs.",
        error_messages={"required": "Choose at least one scope."},
    )
    expires_days = forms.IntegerField(
        label="Expires after (days)",
        required=False,
        min_value=1,
        max_value=365,
        help_text="Between 1 and 365 days; 90 when left empty.",
    )

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the token a name.")
        return name

    def clean_scopes(self):
        scopes = self.cleaned_data["scopes"].split()
        unknown = [scope for scope in scopes if scope not in Scope.values]
        if unknown:
            raise forms.ValidationError(
                [f"Unknown scope {scope!r}." for scope in unknown]
                + [f"Scopes are: {', '.join(Scope.values)}."]
            )
        if not scopes:
            raise forms.ValidationError("Choose at least one scope.")
        return sorted(set(scopes))


# --- Members ------------------------------------------------------------------------


class InviteForm(Form):
    username = forms.CharField(label="User name", max_length=150)
    email = forms.EmailField(label="E-mail", help_text="The invitation link goes here.")
    role = forms.ChoiceField(label="Role", choices=Role.choices, initial=Role.RESPONDER)


class RoleForm(Form):
    role = forms.ChoiceField(label="Role", choices=Role.choices)


# --- Passwords chosen through an e-mailed link -----------------------------------------


class ResetPasswordForm(SetPasswordForm):
    """Django's form (new password twice, the validators); saved by a service that also
    ends the person's sessions."""

    def save(self, commit=True):
        from accounts.services import user_reset_password

        return user_reset_password(user=self.user, new_password=self.cleaned_data["new_password1"])
