"""Send a person who signed in with a one-time password to change it before anything else."""

from django.shortcuts import redirect
from django.urls import reverse

ALLOWED_PATH_NAMES = ("accounts:password_change", "accounts:logout", "healthz")


class PasswordChangeRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self._allowed_paths = None

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.must_change_password:
            if self._allowed_paths is None:
                self._allowed_paths = {reverse(name) for name in ALLOWED_PATH_NAMES}
            if request.path not in self._allowed_paths and not request.path.startswith("/static/"):
                return redirect("accounts:password_change")
        return self.get_response(request)
