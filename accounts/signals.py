"""Authentication events from Django: every sign-in path (our pages, the admin,
tests' force_login) passes here, so the session bookkeeping and our own record of
attempts cannot be skipped. Registered in AccountsConfig.ready()."""

import time

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

import audit
from accounts.models import User
from accounts.services import login_attempt_record
from accounts.sessions import (
    LOGIN_ATTEMPT_SESSION_KEY,
    SESSION_IP_KEY,
    SESSION_STARTED_KEY,
    SESSION_USER_AGENT_KEY,
)
from audit.context import client_ip_of

MAX_USER_AGENT_LENGTH = 300


def _logged_in(sender, request, user, **kwargs):
    if request is None or not hasattr(request, "session"):
        return
    request.session[SESSION_STARTED_KEY] = time.time()
    request.session[SESSION_IP_KEY] = client_ip_of(request)
    request.session[SESSION_USER_AGENT_KEY] = request.headers.get("User-Agent", "")[
        :MAX_USER_AGENT_LENGTH
    ]
    attempt = login_attempt_record(
        username=user.get_username(), user=user, succeeded=True, request=request
    )
    request.session[LOGIN_ATTEMPT_SESSION_KEY] = attempt.pk


def _login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))
    user = User.objects.filter(username=username).first()
    login_attempt_record(username=username, user=user, succeeded=False, request=request)


def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit.record("logout", actor=user, target=user, request=request)


def connect() -> None:
    user_logged_in.connect(_logged_in, dispatch_uid="accounts.logged_in")
    user_login_failed.connect(_login_failed, dispatch_uid="accounts.login_failed")
    user_logged_out.connect(_logged_out, dispatch_uid="accounts.logged_out")
