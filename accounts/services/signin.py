"""The sign-in record: every attempt, the lockout mail, a new address told."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

import audit
from accounts.models import (
    LoginAttempt,
    User,
)
from notifications.messages import render_message
from notifications.services import notification_queue

MAX_TYPED_USERNAME = 150


@transaction.atomic
def login_attempt_record(
    *, username: str, user: User | None, succeeded: bool, request
) -> LoginAttempt:
    """Keep our own record of every password sign-in try (django-axes resets its counters)."""
    from audit.context import client_ip_of

    attempt = LoginAttempt.objects.create(
        username=(username or "")[:MAX_TYPED_USERNAME],
        user=user,
        succeeded=succeeded,
        ip=client_ip_of(request) if request is not None else None,
        user_agent=(request.headers.get("User-Agent", "")[:300] if request is not None else ""),
    )
    audit.record(
        "login.succeeded" if succeeded else "login.failed",
        actor=user if succeeded else None,
        target=user,
        data={"username": attempt.username},
        outcome="success" if succeeded else "failure",
        request=request,
    )
    return attempt


def _previous_complete_sign_in(user: User, current_attempt_id: int | None) -> LoginAttempt | None:
    """The last sign-in completed with a second factor before the current one.

    Only complete sign-ins count as "your last login": someone who has the password
    but not the second factor must not be able to reset the count of failures.
    """
    complete = LoginAttempt.objects.filter(
        user=user, succeeded=True, second_factor_at__isnull=False
    ).order_by("-attempted_at", "-id")
    if current_attempt_id is None:
        return complete[1:2].first()  # the latest complete one is the current session's
    return complete.exclude(pk=current_attempt_id).first()


def failed_attempts_since_previous_login(
    user: User, *, current_attempt_id: int | None = None
) -> list[LoginAttempt]:
    """Failed tries on this person's account since their previous complete sign-in."""
    previous = _previous_complete_sign_in(user, current_attempt_id)
    failures = LoginAttempt.objects.filter(user=user, succeeded=False)
    if previous is not None:
        failures = failures.filter(attempted_at__gt=previous.attempted_at)
    return list(failures)


def password_only_sign_ins_since_previous_login(
    user: User, *, current_attempt_id: int | None = None
) -> list[LoginAttempt]:
    """Sign-ins with the right password that never gave the second factor: a stolen password."""
    previous = _previous_complete_sign_in(user, current_attempt_id)
    attempts = LoginAttempt.objects.filter(user=user, succeeded=True, second_factor_at__isnull=True)
    if current_attempt_id is not None:
        attempts = attempts.exclude(pk=current_attempt_id)
    if previous is not None:
        attempts = attempts.filter(attempted_at__gt=previous.attempted_at)
    return list(attempts)


@transaction.atomic
def login_attempt_complete(*, user: User, attempt_id: int | None) -> LoginAttempt | None:
    """Mark the sign-in as completed with a second factor (once; later step-ups don't)."""
    if attempt_id is None:
        return None
    attempt = (
        LoginAttempt.objects.select_for_update(no_key=True, of=("self",))
        .filter(pk=attempt_id, user=user, succeeded=True, second_factor_at__isnull=True)
        .first()
    )
    if attempt is not None:
        attempt.second_factor_at = timezone.now()
        attempt.save(update_fields=["second_factor_at"])
        _tell_of_new_address(user=user, attempt=attempt)
    return attempt


def _tell_of_new_address(*, user: User, attempt: LoginAttempt) -> None:
    """A complete sign-in from an address this person never completed one from: audit it
    and tell them (mandatory). Their very first complete sign-in is not "new"."""
    if not attempt.ip:
        return
    earlier = LoginAttempt.objects.filter(
        user=user, succeeded=True, second_factor_at__isnull=False
    ).exclude(pk=attempt.pk)
    if not earlier.exists() or earlier.filter(ip=attempt.ip).exists():
        return
    audit.record(
        "login.new_address",
        actor=user,
        target=user,
        data={"ip": attempt.ip, "user_agent": attempt.user_agent},
    )
    notification_queue(
        recipients=[user],
        message=render_message(
            "account_new_login_address",
            {
                "username": user.get_username(),
                "ip": attempt.ip,
                "at": attempt.second_factor_at,
                "user_agent": attempt.user_agent,
            },
        ),
        event="account.new_login_address",
    )


def _lockout_cooloff() -> timedelta:
    """AXES_COOLOFF_TIME as a duration (axes also takes a number of hours); a lock with no
    cool-off counts as one episode for a day."""
    cooloff = settings.AXES_COOLOFF_TIME
    if isinstance(cooloff, int | float):
        return timedelta(hours=cooloff)
    return cooloff if isinstance(cooloff, timedelta) else timedelta(days=1)


def lockout_notify(*, user: User, ip: str | None) -> bool:
    """Tell the owner that sign-in to their account is locked, once per lockout episode:
    not again while tries keep coming within the cool-off (each of them is refused and
    recorded as login.locked_out). Call before recording the current refusal.

    Only the owner hears of it, by e-mail; the person at the sign-in page learns nothing
    more than they would for an unknown user name."""
    from django.contrib.contenttypes.models import ContentType

    from audit.models import AuditEvent

    cooloff = _lockout_cooloff()
    since = timezone.now() - cooloff
    last_complete = (
        LoginAttempt.objects.filter(user=user, succeeded=True, second_factor_at__isnull=False)
        .values_list("second_factor_at", flat=True)
        .first()
    )
    if last_complete is not None and last_complete > since:
        since = last_complete
    same_episode = AuditEvent.objects.filter(
        action="login.locked_out",
        target_type=ContentType.objects.get_for_model(User),
        target_id=str(user.pk),
        created_at__gt=since,
    ).exists()
    if same_episode or not user.is_active:
        return False
    notification_queue(
        recipients=[user],
        message=render_message(
            "account_locked_out",
            {
                "username": user.get_username(),
                "ip": ip,
                "at": timezone.now(),
                "minutes": int(cooloff.total_seconds() // 60),
            },
        ),
        event="account.locked_out",
    )
    return True
