"""Every write to people and tokens: members, roles, passwords, API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

import audit

# Second-factor devices live in accounts.devices; these names stay importable from here.
from accounts.devices import backup_codes_regenerate as backup_codes_regenerate
from accounts.devices import device_remove as device_remove
from accounts.devices import totp_device_confirm as totp_device_confirm
from accounts.devices import totp_device_pending as totp_device_pending
from accounts.models import (
    TOKEN_PREFIX,
    ApiToken,
    Invitation,
    LoginAttempt,
    User,
    UserSession,
    hash_token,
)
from accounts.roles import ROLE_NAMES, Role
from accounts.scopes import Scope
from core.db import unique_or
from notifications.messages import absolute_url, render_message
from notifications.services import notification_queue

TOKEN_RANDOM_BYTES = 32  # 256 bits
DEFAULT_TOKEN_LIFETIME_DAYS = 90
MAX_TOKEN_LIFETIME_DAYS = 365
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
    user = User.objects.filter(username=username).first()
    created = user is None
    if created:
        user = User(username=username)
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


def _clean_scopes(scopes) -> list[str]:
    scopes = sorted(set(scopes or []))
    unknown = [scope for scope in scopes if scope not in Scope.values]
    if not scopes:
        raise ValidationError({"scopes": ["Give at least one scope."]})
    if unknown:
        raise ValidationError(
            {"scopes": [f"Unknown scope {s!r}; one of {', '.join(Scope.values)}." for s in unknown]}
        )
    return scopes


@transaction.atomic
def api_token_issue(
    *,
    actor: User | None,
    user: User,
    name: str,
    scopes,
    expires_days: int = DEFAULT_TOKEN_LIFETIME_DAYS,
) -> tuple[ApiToken, str]:
    """Create a token and return it with its raw value, which is never stored or shown again."""
    if not user.is_active:
        raise ValidationError({"user": ["This person is deactivated."]})
    if not 1 <= expires_days <= MAX_TOKEN_LIFETIME_DAYS:
        raise ValidationError({"expires_days": [f"Between 1 and {MAX_TOKEN_LIFETIME_DAYS} days."]})
    raw = TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_RANDOM_BYTES)
    token = ApiToken(
        user=user,
        name=name,
        prefix=raw[: len(TOKEN_PREFIX) + 6],
        token_hash=hash_token(raw),
        scopes=_clean_scopes(scopes),
        expires_at=timezone.now() + timedelta(days=expires_days),
    )
    token.full_clean()
    token.save()
    audit.record(
        "api_token.issued",
        actor=actor,
        target=token,
        data={"owner": user.get_username(), "scopes": token.scopes, "expires_at": token.expires_at},
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, actor: User | None, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record("api_token.revoked", actor=actor, target=token)
    return token


# --- Sign-in record ---------------------------------------------------------

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
    attempts = LoginAttempt.objects.filter(
        user=user, succeeded=True, second_factor_at__isnull=True
    ).exclude(pk=current_attempt_id)
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


# --- Sessions ---------------------------------------------------------------


def session_public_id(session_key: str) -> str:
    """What pages show and send back to name a session; the key itself never leaves the server."""
    return hashlib.sha256(session_key.encode()).hexdigest()[:20]


@transaction.atomic
def sessions_end(
    *, user: User, actor: User | None, keep: str | None = None, public_id: str | None = None
) -> int:
    """End the person's sessions on the server: all, all but `keep`, or the one named."""
    sessions = UserSession.objects.filter(user=user)
    if keep:
        sessions = sessions.exclude(session_key=keep)
    keys = list(sessions.values_list("session_key", flat=True))
    if public_id is not None:
        keys = [key for key in keys if session_public_id(key) == public_id]
    ended = UserSession.objects.filter(session_key__in=keys).delete()[0]
    if ended:
        audit.record("session.ended", actor=actor, target=user, data={"count": ended})
    return ended


# --- Members: invitations, roles, deactivation ---------------------------------

INVITATION_TOKEN_BYTES = 32  # 256 bits
DEFAULT_INVITATION_TTL_HOURS = 72


class InvitationNotValid(Exception):
    """The invitation link is unknown, used, expired or for a deactivated person."""


def _invitation_ttl() -> timedelta:
    return timedelta(hours=getattr(settings, "INVITATION_TTL_HOURS", DEFAULT_INVITATION_TTL_HOURS))


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


# --- Password reset ---------------------------------------------------------------


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


# --- Notification preferences -------------------------------------------------------


def notification_rows(*, user: User) -> list[dict]:
    """The events on the person's preferences page (offered to their role, or turned on
    by them), each with whether they get it now and whether they may turn it off."""
    from notifications.events import events_for
    from notifications.services import notification_preferences_of

    effective = notification_preferences_of(user=user, roles=user.roles)
    opted_in = user.notification_preferences.filter(email=True).values_list("event", flat=True)
    return [
        {"event": event, "email": effective[event.name]}
        for event in events_for(user.roles, opted_in)
    ]


@transaction.atomic
def notification_preferences_save(*, user: User, choices: dict[str, bool]) -> dict[str, bool]:
    """Save the person's e-mail choice for each event in `choices` (only events on their
    page; mandatory ones cannot be turned off). Returns the events that changed. Nothing
    is saved when any choice is refused."""
    from notifications.services import notification_preference_set

    rows = {row["event"].name: row for row in notification_rows(user=user)}
    unknown = sorted(name for name in choices if name not in rows)
    if unknown:
        raise ValidationError(
            {"events": [f"Unknown notification event {name!r}." for name in unknown]}
        )
    forced = sorted(
        name for name, email in choices.items() if rows[name]["event"].mandatory and not email
    )
    if forced:
        labels = ", ".join(rows[name]["event"].label for name in forced)
        raise ValidationError({"events": [f"Always sent, cannot be turned off: {labels}."]})
    changed = {
        name: bool(email)
        for name, email in choices.items()
        if bool(email) != rows[name]["email"] and not rows[name]["event"].mandatory
    }
    for name, email in changed.items():
        notification_preference_set(user=user, event=name, email=email)
    if changed:
        audit.record(
            "notification.preferences_changed",
            actor=user,
            target=user,
            data={"changed": dict(sorted(changed.items()))},
        )
    return changed


# --- E-mail address verification -------------------------------------------------------

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
