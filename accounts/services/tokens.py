"""API tokens: issue and revoke; only a token's hash is kept."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

import audit
from accounts.models import (
    TOKEN_PREFIX,
    ApiToken,
    User,
    hash_token,
)
from accounts.scopes import Scope

TOKEN_RANDOM_BYTES = 32  # 256 bits
DEFAULT_TOKEN_LIFETIME_DAYS = 90
MAX_TOKEN_LIFETIME_DAYS = 365


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
