"""People: creating and updating members, their role, password and activity."""

from __future__ import annotations

import secrets

from django.contrib.auth import password_validation
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

import audit
from accounts.models import ApiToken, Invitation, User
from accounts.roles import ROLE_NAMES, Role
from accounts.services.sessions import sessions_end
from accounts.services.tokens import api_token_revoke
from core.db import unique_or

ONE_TIME_PASSWORD_BYTES = 18
# One address, one person: a password-reset link must reach exactly one account.
EMAIL_TAKEN = {"email": ["Another person already uses this e-mail address."]}


def generate_one_time_password() -> str:
    return secrets.token_urlsafe(ONE_TIME_PASSWORD_BYTES)


def _set_role(user: User, role: str) -> None:
    if role not in ROLE_NAMES:
        raise ValidationError(
            {"role": [f"Unknown role {role!r}; one of {', '.join(Role.values)}."]}
        )
    current = set(user.groups.filter(name__in=ROLE_NAMES))
    wanted = Group.objects.get(name=role)
    if current != {wanted}:
        user.groups.remove(*(current - {wanted}))
        user.groups.add(wanted)
    user.__dict__.pop("roles", None)


@transaction.atomic
def member_save(
    *,
    actor: User | None,
    username: str,
    role: str,
    email: str | None = None,
    password: str | None = None,
    must_change_password: bool = False,
) -> tuple[User, bool]:
    """Create the person or update their role, e-mail and password. Returns (user, created)."""
    existing = User.objects.filter(username=username).first()
    created = existing is None
    user = User(username=username) if existing is None else existing
    if email is not None and email != user.email:
        if email and User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
            # One address, one person: a password-reset link must reach exactly one account.
            raise ValidationError(EMAIL_TAKEN)
        user.email = email
        # Set by a lead or the command line: nobody proved they read mail there.
        user.email_verified_at = None
    if password is not None:
        password_validation.validate_password(password, user)
        user.set_password(password)
        user.must_change_password = must_change_password
    elif created:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    with unique_or(EMAIL_TAKEN):  # another request took the address a moment ago
        user.save()
    _set_role(user, role)
    audit.record(
        "member.created" if created else "member.updated",
        actor=actor,
        target=user,
        data={"role": role, "password_set": password is not None},
    )
    return user, created


@transaction.atomic
def first_lead_ensure(*, username: str = "lead") -> tuple[User, str] | None:
    """Create the first lead with a one-time password, unless a lead already exists.

    Never promotes an existing account: that would hand its owner the lead role.
    """
    if User.objects.filter(groups__name=Role.LEAD).exists():
        return None
    if User.objects.filter(username=username).exists():
        raise ValidationError(
            {"username": [f"{username!r} already exists; choose another name for the lead."]}
        )
    password = generate_one_time_password()
    user, _ = member_save(
        actor=None,
        username=username,
        role=Role.LEAD,
        password=password,
        must_change_password=True,
    )
    return user, password


@transaction.atomic
def user_change_password(*, user: User, new_password: str) -> User:
    password_validation.validate_password(new_password, user)
    user.set_password(new_password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    audit.record("password.changed", actor=user, target=user)
    return user


@transaction.atomic
def member_change_role(*, actor: User, user: User, role: str) -> User:
    """A lead gives someone else another role (never themselves: a team keeps its lead)."""
    if user.pk == actor.pk:
        raise ValidationError({"role": ["You cannot change your own role."]})
    user, _ = member_save(actor=actor, username=user.get_username(), role=role)
    return user


@transaction.atomic
def member_deactivate(*, actor: User, user: User) -> User:
    """Shut a person out at once: no sign-in, their sessions ended, their API tokens
    revoked, their open invitation links voided."""
    if user.pk == actor.pk:
        raise ValidationError({"user": ["You cannot deactivate yourself."]})
    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active"])
    sessions_ended = sessions_end(user=user, actor=actor)
    tokens = list(ApiToken.objects.filter(user=user, revoked_at__isnull=True))
    for token in tokens:
        api_token_revoke(actor=actor, token=token)
    invitations_voided = _invitations_void(user=user)
    audit.record(
        "member.deactivated",
        actor=actor,
        target=user,
        data={
            "sessions_ended": sessions_ended,
            "tokens_revoked": len(tokens),
            "invitations_voided": invitations_voided,
        },
    )
    return user


@transaction.atomic
def member_reactivate(*, actor: User, user: User) -> User:
    """Let a deactivated person sign in again (their revoked tokens stay revoked)."""
    if not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
        audit.record("member.reactivated", actor=actor, target=user)
    return user


@transaction.atomic
def user_reset_password(*, user: User, new_password: str) -> User:
    """Set a password chosen through an e-mailed reset link, and end every session the
    person had: whoever knew the old password is out. Signing in still needs the
    second factor."""
    password_validation.validate_password(new_password, user)
    user.set_password(new_password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    sessions_ended = sessions_end(user=user, actor=user)
    audit.record("password.reset", actor=user, target=user, data={"sessions_ended": sessions_ended})
    return user


def _invitations_void(*, user: User) -> int:
    """Close the person's open invitation links (they expire now; the rows stay on record)."""
    now = timezone.now()
    open_invitations = Invitation.objects.filter(
        user=user, accepted_at__isnull=True, expires_at__gt=now
    )
    voided = 0
    for invitation in open_invitations:
        invitation.expires_at = now
        invitation.save(update_fields=["expires_at"])
        voided += 1
    return voided
