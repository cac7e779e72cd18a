"""Browser views of the accounts app, one module per feature."""

from accounts.views.signin import (
    LoginView,
    LogoutView,
    PasswordChangeView,
    step_up,
    totp_setup,
    verify,
)

__all__ = ["LoginView", "LogoutView", "PasswordChangeView", "step_up", "totp_setup", "verify"]
