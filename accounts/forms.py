from django.contrib.auth.forms import PasswordChangeForm


class ChangePasswordForm(PasswordChangeForm):
    """Django's form; saving goes through accounts.services.user_change_password."""

    def save(self, commit=True):
        from accounts.services import user_change_password

        return user_change_password(user=self.user, new_password=self.cleaned_data["new_password1"])
