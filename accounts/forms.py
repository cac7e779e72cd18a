"""Forms of the sign-in pages. Saving goes through accounts.services."""

from django import forms
from django.contrib.auth.forms import PasswordChangeForm


class ChangePasswordForm(PasswordChangeForm):
    """Django's form (current password, new password twice, validators); saved by a service."""

    end_other_sessions = forms.BooleanField(
        required=False, initial=True, label="Sign out my other sessions"
    )

    def save(self, commit=True):
        from accounts.services import user_change_password

        return user_change_password(user=self.user, new_password=self.cleaned_data["new_password1"])


class OtpTokenForm(forms.Form):
    otp_token = forms.CharField(
        label="One-time code",
        max_length=64,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
        help_text="The 6-digit code from your authenticator app, or one of your backup codes.",
    )
