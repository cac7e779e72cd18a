"""Second-factor reset: the way back for a person who lost every second factor.

A lead, after step-up, issues a one-time link (like an invitation: 256 random bits,
only the SHA-256 stored, an expiry, older links voided, used once). Issuing it ends the
person's access at once: every device (a lost phone or key must not stay a way in),
every session and every API token. The link, with the person's own password, signs
them in on a first-enrolment path (accounts.twofactor): that session may enrol one new
authenticator with the password alone.

A lead never resets their own factors (another lead does), and nobody resets a
deactivated person's.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

import audit
from accounts.devices import devices_clear
from accounts.models import ApiToken, FactorReset, User, hash_token
from accounts.roles import Role
from accounts.services import api_token_revoke, sessions_end
from notifications.messages import absolute_url, render_message
from notifications.services import notification_queue

FACTOR_RESET_TOKEN_BYTES = 32  # 256 bits


class FactorResetNotValid(Exception):
    """The reset link is unknown, used, expired, replaced or for a deactivated person."""


def _factor_reset_ttl() -> timedelta:
    hours = settings.FACTOR_RESET_TTL_HOURS
    return timedelta(hours=hours)


def _factor_resets_void(*, user: User) -> int:
    """Close the person's open reset links (they expire now; the rows stay on record)."""
    now = timezone.now()
    return FactorReset.objects.filter(user=user, used_at__isnull=True, expires_at__gt=now).update(
        expires_at=now
    )


def _check_may_reset(*, actor: User | None, user: User) -> None:
    # actor None: the operator on the server's command line (manage.py
    # reset_second_factor), the way back when the only lead lost every factor.
    if actor is not None and not actor.has_role(Role.LEAD):
        raise PermissionDenied("Only leads reset a member's second factor.")
    if actor is not None and user.pk == actor.pk:
        raise ValidationError(
            {"user": ["You cannot reset your own second factor. Ask another lead."]}
        )
    if not user.is_active:
        raise ValidationError(
            {"user": [f"{user.get_username()} is deactivated; reactivate them first."]}
        )
    if not user.has_usable_password():
        raise ValidationError(
            {"user": [f"{user.get_username()} has no password yet; send a new invitation."]}
        )
    if not user.email:
        raise ValidationError(
            {"user": [f"{user.get_username()} has no e-mail address for the reset link."]}
        )


def open_factor_reset(user: User) -> FactorReset | None:
    """The person's newest reset link that still works, if any."""
    now = timezone.now()
    return (
        FactorReset.objects.filter(user=user, used_at__isnull=True, expires_at__gt=now)
        .order_by("-created_at")
        .first()
    )


@transaction.atomic
def factor_reset_issue(*, actor: User | None, user: User) -> tuple[FactorReset, str]:
    """Remove the person's second-factor devices, end their sessions and API tokens, and
    e-mail them a one-time link to enrol a new authenticator. Returns (reset, raw link
    token); only the token's SHA-256 is stored, and the audit log never sees it.

    Raises PermissionDenied for anyone but a lead, ValidationError for the lead's own
    account, a deactivated person, or one with no password or e-mail address yet.
    """
    _check_may_reset(actor=actor, user=user)
    user = User.objects.select_for_update(no_key=True, of=("self",)).get(pk=user.pk)
    voided = _factor_resets_void(user=user)
    devices_removed = devices_clear(user=user, actor=actor, reason="factor_reset")
    sessions_ended = sessions_end(user=user, actor=actor)
    tokens = list(ApiToken.objects.filter(user=user, revoked_at__isnull=True))
    for token in tokens:
        api_token_revoke(actor=actor, token=token)

    raw = secrets.token_urlsafe(FACTOR_RESET_TOKEN_BYTES)
    reset = FactorReset(
        user=user,
        token_hash=hash_token(raw),
        issued_by=actor,
        expires_at=timezone.now() + _factor_reset_ttl(),
    )
    reset.full_clean()
    reset.save()
    notification_queue(
        recipients=[user],
        message=render_message(
            "factor_reset",
            {
                "username": user.get_username(),
                "lead": (actor.get_full_name() or actor.get_username()) if actor else "",
                "link": absolute_url("accounts:factor_reset", token=raw),
                "expires_at": reset.expires_at,
                "devices_removed": devices_removed,
                "tokens_revoked": len(tokens),
            },
        ),
        sensitive=True,
    )
    audit.record(
        "factor_reset.issued",
        actor=actor,
        target=user,
        data={
            "expires_at": reset.expires_at,
            "devices_removed": devices_removed,
            "sessions_ended": sessions_ended,
            "tokens_revoked": len(tokens),
            "voided": voided,
        },
    )
    return reset, raw


def factor_reset_check(raw_token: str) -> FactorReset:
    """The open reset the link names, or FactorResetNotValid."""
    reset = (
        FactorReset.objects.select_related("user")
        .filter(token_hash=hash_token(raw_token or ""))
        .first()
    )
    if reset is None or not reset.is_open or not reset.user.is_active:
        raise FactorResetNotValid
    return reset


@transaction.atomic
def factor_reset_use(*, raw_token: str, user: User) -> FactorReset:
    """Use up the link once `user` proved their password on its page. Raises
    FactorResetNotValid for an unknown, used or expired link, one for someone else or
    for a deactivated person. The caller then signs the person in on the reset's
    first-enrolment path (twofactor.first_enrolment_allow)."""
    reset = (
        FactorReset.objects.select_for_update(no_key=True, of=("self",))
        .select_related("user")
        .filter(token_hash=hash_token(raw_token or ""))
        .first()
    )
    if reset is None or not reset.is_open or reset.user_id != user.pk or not user.is_active:
        raise FactorResetNotValid
    reset.used_at = timezone.now()
    reset.save(update_fields=["used_at"])
    audit.record(
        "factor_reset.used",
        actor=user,
        target=user,
        data={"issued_by": reset.issued_by.get_username() if reset.issued_by else None},
    )
    return reset
