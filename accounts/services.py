"""Every write to people and tokens: members, roles, passwords, API tokens."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.contrib.auth import password_validation
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

import audit
from accounts.models import TOKEN_PREFIX, ApiToken, User, hash_token
from accounts.roles import ROLE_NAMES, Role
from accounts.scopes import Scope

TOKEN_RANDOM_BYTES = 32  # 256 bits
DEFAULT_TOKEN_LIFETIME_DAYS = 90
MAX_TOKEN_LIFETIME_DAYS = 365
ONE_TIME_PASSWORD_BYTES = 18


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
    if email is not None:
        user.email = email
    if password is not None:
        password_validation.validate_password(password, user)
        user.set_password(password)
        user.must_change_password = must_change_password
    elif created:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
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
