"""Authentication events from Django: every sign-in path (our pages, the admin,
tests' force_login) passes here, so the session bookkeeping and our own record of
attempts cannot be skipped. Registered in AccountsConfig.ready()."""

import time

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.core.signals import got_request_exception
from django.db import transaction

import audit
from accounts.models import User
from accounts.services import lockout_notify, login_attempt_record
from accounts.sessions import (
    LOGIN_ATTEMPT_SESSION_KEY,
    SESSION_IP_KEY,
    SESSION_STARTED_KEY,
    SESSION_USER_AGENT_KEY,
)
from audit.context import client_ip_of
from audit.logging import on_request_exception, security_log

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


def _locked_out(sender, request=None, username=None, ip_address=None, **kwargs):
    """django-axes refused a sign-in: the limit was just reached, or a try came during
    the cool-off. The typed user name is data (JSON-escaped), never trusted text.

    The mail and the event are one transaction: the owner's row is locked first, so
    two refusals at once see each other's event and mail once per episode."""
    with transaction.atomic():
        user = (
            User.objects.select_for_update(no_key=True, of=("self",))
            .filter(username=str(username or ""))
            .first()
        )
        if user is not None:
            # The owner hears of it by e-mail (once per episode); the requester never does.
            lockout_notify(user=user, ip=ip_address)
        audit.record(
            "login.locked_out",
            target=user,
            data={"username": str(username or "")[:150], "ip": ip_address},
            outcome="denied",
            request=request,
        )
    # Also in the JSON log, for the SIEM that watches stdout.
    security_log.warning(
        "sign-in locked out",
        extra={"action": "login.locked_out", "object": str(username or ""), "outcome": "denied"},
    )


def connect() -> None:
    user_logged_in.connect(_logged_in, dispatch_uid="accounts.logged_in")
    user_login_failed.connect(_login_failed, dispatch_uid="accounts.login_failed")
    user_logged_out.connect(_logged_out, dispatch_uid="accounts.logged_out")
    user_locked_out.connect(_locked_out, dispatch_uid="accounts.locked_out")
    # A request that failed because the database refused our credentials.
    got_request_exception.connect(on_request_exception, dispatch_uid="audit.db_auth_failed")
