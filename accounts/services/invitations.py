"""Invitations: a one-time link for a new member to choose a password."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

import audit
from accounts.models import (
    Invitation,
    User,
    hash_token,
)
from accounts.roles import Role
from accounts.services.members import EMAIL_TAKEN, _invitations_void, member_save
from notifications.messages import absolute_url, render_message
from notifications.services import notification_queue

INVITATION_TOKEN_BYTES = 32  # 256 bits
DEFAULT_INVITATION_TTL_HOURS = 72


class InvitationNotValid(Exception):
    """The invitation link is unknown, used, expired or for a deactivated person."""


def _invitation_ttl() -> timedelta:
    return timedelta(hours=getattr(settings, "INVITATION_TTL_HOURS", DEFAULT_INVITATION_TTL_HOURS))


@transaction.atomic
def member_invite(*, actor: User, username: str, email: str, role: str) -> tuple[User, str]:
    """Create a person who cannot sign in yet, and e-mail them a one-time link to choose a
    password. Returns (user, raw link token); only the token's SHA-256 is stored.

    Inviting someone who was invited but never accepted sends a new link and voids the
    old ones. The link in the e-mail starts with settings.SITE_URL.
    """
    username = (username or "").strip()
    email = (email or "").strip()
    if not email:
        raise ValidationError({"email": ["An invitation needs an e-mail address."]})
    user = User.objects.filter(username=username).first()
    if user is not None:
        # Only someone who was invited and never accepted is invited again.
        invitations = user.invitations.all()
        never_accepted = (
            invitations.exists() and not invitations.filter(accepted_at__isnull=False).exists()
        )
        if user.has_usable_password() or not never_accepted:
            raise ValidationError(
                {"username": [f"{username!r} already has an account; change their role instead."]}
            )
        if not user.is_active:
            raise ValidationError(
                {"username": [f"{username!r} is deactivated; reactivate them first."]}
            )
    same_email = User.objects.filter(email__iexact=email)
    if user is not None:
        same_email = same_email.exclude(pk=user.pk)
    if same_email.exists():
        # One address, one person: a password-reset link must reach exactly one account.
        raise ValidationError(EMAIL_TAKEN)

    user, created = member_save(actor=actor, username=username, role=role, email=email)
    voided = _invitations_void(user=user)
    raw = secrets.token_urlsafe(INVITATION_TOKEN_BYTES)
    invitation = Invitation(
        user=user,
        token_hash=hash_token(raw),
        invited_by=actor,
        expires_at=timezone.now() + _invitation_ttl(),
    )
    invitation.full_clean()
    invitation.save()
    notification_queue(
        recipients=[user],
        message=render_message(
            "invitation",
            {
                "inviter": actor.get_full_name() or actor.get_username(),
                "role": Role(role).label,
                "username": user.get_username(),
                "link": absolute_url("accounts:invitation", token=raw),
                "expires_at": invitation.expires_at,
            },
        ),
        sensitive=True,
    )
    audit.record(
        "member.invited",
        actor=actor,
        target=user,
        data={
            "email": email,
            "role": role,
            "expires_at": invitation.expires_at,
            "renewed": not created,
            "voided": voided,
        },
    )
    return user, raw


@transaction.atomic
def invitation_accept(*, raw_token: str, password: str) -> User:
    """Set the invited person's first password through their link, which then is used up.

    Raises InvitationNotValid for an unknown, used or expired link, ValidationError for a
    password the validators refuse (the link stays open then).
    """
    invitation = (
        Invitation.objects.select_for_update(no_key=True, of=("self",))
        .select_related("user")
        .filter(token_hash=hash_token(raw_token or ""))
        .first()
    )
    if invitation is None or not invitation.is_open or not invitation.user.is_active:
        raise InvitationNotValid
    user = invitation.user
    password_validation.validate_password(password, user)
    user.set_password(password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    _invitations_void(user=user)
    audit.record("member.invitation_accepted", actor=user, target=user)
    if user.email:
        # The link reached them at this address: that proves they read mail there.
        user.email_verified_at = invitation.accepted_at
        user.save(update_fields=["email_verified_at"])
        audit.record(
            "account.email_verified",
            actor=user,
            target=user,
            data={"email": user.email, "via": "invitation"},
        )
    return user
