"""Password reset by e-mailed link: Django's views with our templates, under
/accounts/password/reset/ (open without signing in).

The form answers alike whether or not the address belongs to someone, and whether or not
the request was within its limits (accounts/reset_requests.py: per e-mail address, per
account, per client address; audited as password_reset.requested). The new
password is set through accounts.services.user_reset_password, which ends every
session the person had; they are not signed in afterwards and must give their
password and second factor again.
"""

from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy

from accounts.forms import PasswordResetRequestForm, ResetPasswordForm


class PasswordResetView(auth_views.PasswordResetView):
    form_class = PasswordResetRequestForm
    template_name = "accounts/password_reset_form.html"  # the mail: the form's send_mail
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    form_class = ResetPasswordForm
    post_reset_login = False
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"
