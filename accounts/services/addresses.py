"""E-mail addresses: a change is proved by a link sent to the new address."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

import audit
from accounts.models import (
    User,
)
from accounts.services.members import EMAIL_TAKEN
from core.db import unique_or
from notifications.messages import absolute_url, render_message
from notifications.services import notification_queue

EMAIL_VERIFICATION_SALT = "accounts.email_verification"
DEFAULT_EMAIL_VERIFICATION_TTL_HOURS = 24


class EmailVerificationNotValid(Exception):
    """The link is tampered with, expired, used, superseded or someone else's."""


def _email_verification_ttl() -> timedelta:
    hours = getattr(settings, "EMAIL_VERIFICATION_TTL_HOURS", DEFAULT_EMAIL_VERIFICATION_TTL_HOURS)
    return timedelta(hours=hours)


def _email_state(user: User) -> str:
    """What a link is bound to: the address and verification time when it was sent. Any
    verification changes them, so a link works once and older links die with it."""
    verified = user.email_verified_at.isoformat() if user.email_verified_at else ""
    sent = user.email_link_sent_at.isoformat() if user.email_link_sent_at else ""
    return hashlib.sha256(f"{user.pk}|{user.email}|{verified}|{sent}".encode()).hexdigest()[:32]


def _clean_new_email(user: User, email: str) -> str:
    from django.core.validators import validate_email

    email = (email or "").strip()
    if not email:
        raise ValidationError({"email": ["Give an e-mail address."]})
    try:
        validate_email(email)
    except ValidationError as error:
        raise ValidationError({"email": error.messages}) from error
    if email == user.email and user.email_verified_at:
        raise ValidationError({"email": ["This address is already verified."]})
    return email


@transaction.atomic
def email_change_request(*, user: User, email: str) -> str:
    """Send a signed, expiring, single-use link to `email` (a new address, or the current
    one if unverified); the address changes only when the link is followed. Returns the
    link's token (the outbox keeps it only until the message is sent)."""
    from django.core import signing

    email = _clean_new_email(user, email)
    if User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
        # One address, one person (a password-reset link must reach exactly one
        # account). The asker is told the same as for a free address, so the form
        # cannot be used to find out who has an account; the address hears why.
        notification_queue(
            recipients=[user], to_address=email, message=render_message("email_address_in_use")
        )
        audit.record(
            "account.email_change_requested",
            actor=user,
            target=user,
            outcome="denied",
            data={"email": email, "reason": "address in use"},
        )
        return ""
    user.email_link_sent_at = timezone.now()
    user.save(update_fields=["email_link_sent_at"])
    token = signing.dumps(
        {"user": user.pk, "email": email, "state": _email_state(user)},
        salt=EMAIL_VERIFICATION_SALT,
    )
    expires_at = timezone.now() + _email_verification_ttl()
    notification_queue(
        recipients=[user],
        to_address=email,
        message=render_message(
            "email_verify",
            {
                "username": user.get_username(),
                "link": absolute_url("accounts:email_verify", token=token),
                "expires_at": expires_at,
            },
        ),
        sensitive=True,
    )
    if user.email and user.email.lower() != email.lower():
        notification_queue(
            recipients=[user],
            message=render_message(
                "email_change_requested", {"username": user.get_username(), "email": email}
            ),
        )
    audit.record(
        "account.email_change_requested",
        actor=user,
        target=user,
        data={"email": email, "previous": user.email, "expires_at": expires_at},
    )
    return token


@transaction.atomic
def email_verify(*, user: User, token: str) -> User:
    """Follow a verification link: set the address it was sent to, verified now.

    Raises EmailVerificationNotValid for a tampered, expired, used or superseded link
    or one sent for another person; ValidationError if the address was taken since."""
    email = email_verification_check(user=user, token=token)
    user = User.objects.select_for_update(no_key=True, of=("self",)).get(pk=user.pk)
    email = email_verification_check(user=user, token=token)  # again, under the row lock
    if User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
        raise ValidationError(EMAIL_TAKEN)
    previous = user.email
    user.email = email
    user.email_verified_at = timezone.now()
    user.full_clean(exclude=["password"])
    with unique_or(EMAIL_TAKEN):
        user.save(update_fields=["email", "email_verified_at"])
    audit.record(
        "account.email_verified",
        actor=user,
        target=user,
        data={"email": email, "previous": previous, "via": "link"},
    )
    return user


def email_verification_check(*, user: User, token: str) -> str:
    """The address a verification link confirms for `user`, or EmailVerificationNotValid."""
    from django.core import signing

    try:
        payload = signing.loads(
            token or "",
            salt=EMAIL_VERIFICATION_SALT,
            max_age=_email_verification_ttl(),
        )
    except signing.SignatureExpired as error:
        raise EmailVerificationNotValid("This link has expired.") from error
    except signing.BadSignature as error:
        raise EmailVerificationNotValid("This link is not valid.") from error
    if not isinstance(payload, dict) or payload.get("user") != user.pk:
        raise EmailVerificationNotValid("This link was sent to someone else.")
    if payload.get("state") != _email_state(user):
        raise EmailVerificationNotValid("This link was used already, or a newer one was sent.")
    return str(payload.get("email", ""))
