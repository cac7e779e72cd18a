"""Bearer-token authentication for the REST API."""

from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from rest_framework import authentication, exceptions

import audit
from accounts.models import TOKEN_PREFIX, ApiToken, hash_token
from audit.context import client_ip_of
from core.counters import count_hit, hits

# Recording every use would make every read a write; a minute is precise enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)
# Query parameters that carry credentials by common convention.
CREDENTIAL_QUERY_PARAMETERS = frozenset(
    {"token", "access_token", "auth_token", "api_key", "apikey", "bearer"}
)
URL_CREDENTIALS_DETAIL = (
    "API tokens are accepted only in the Authorization header (Bearer), never in the URL: "
    "URLs end up in logs, browser history and Referer headers. Remove it from the URL, "
    "and revoke the token if the URL was shared or logged."
)


def _looks_like_a_token(text: str) -> bool:
    text = text.strip()
    if text.lower().startswith("bearer "):
        text = text[len("bearer ") :].strip()
    return text.startswith(TOKEN_PREFIX)


def token_in_query_string(request) -> bool:
    """Whether the URL carries something that is, or is named like, a credential."""
    for name, values in request.query_params.lists():
        if name.lower() in CREDENTIAL_QUERY_PARAMETERS or _looks_like_a_token(name):
            return True
        if any(_looks_like_a_token(value) for value in values):
            return True
    return False


def token_used_cache_key(token_pk) -> str:
    return f"cordon:api_token_used:{token_pk}"


def _bad_token_key(request) -> str:
    return f"cordon:bad_tokens:{client_ip_of(request._request)}"


def _refusal(request, reason: str, detail: str) -> exceptions.APIException:
    """A credential that is not a valid token: the AuthenticationFailed (401) to raise,
    recorded with why (never the token itself) and counted against the sender's address.

    An address past API_BAD_TOKEN_LIMIT within the window gets a 429 instead, with no
    event of its own (the refusal middleware records the 429s within its budget): its
    guessing gets nowhere however cheap a try is. Only unknown credentials are refused
    so: a valid token from that address (a script behind the same NAT or proxy as the
    guesser) always works, so nobody can lock a script out by sending bad tokens.
    """
    key = _bad_token_key(request)
    if hits(key) >= settings.API_BAD_TOKEN_LIMIT:
        return exceptions.Throttled(
            wait=settings.API_BAD_TOKEN_WINDOW,
            detail="Too many invalid tokens from this address; try again later.",
        )
    count_hit(key, window=settings.API_BAD_TOKEN_WINDOW)
    audit.record(
        "api_token.refused",
        data={"reason": reason, "method": request.method, "path": request.path[:500]},
        outcome="denied",
        request=request._request,
    )
    return exceptions.AuthenticationFailed(detail)


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <token>`. No header lets other schemes try; a bad token is 401."""

    keyword = "Bearer"

    def authenticate(self, request):
        # Checked first and whatever the header says: a token in a URL is refused even
        # next to a valid header, so the habit never works and never spreads.
        if token_in_query_string(request):
            raise _refusal(request, "token in the URL", URL_CREDENTIALS_DETAIL)
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise _refusal(
                request, "malformed Authorization header", "Invalid Authorization header."
            )
        try:
            raw = header[1].decode("ascii")
        except UnicodeDecodeError as error:
            raise _refusal(request, "malformed Authorization header", "Invalid token.") from error
        token = (
            ApiToken.objects.usable()
            .select_related("user")
            .filter(token_hash=hash_token(raw))
            .first()
        )
        if token is None:
            raise _refusal(
                request, "unknown, expired or revoked token", "Invalid, expired or revoked token."
            )
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            # Bookkeeping, not a domain change: a direct update, outside the audit capture.
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        # Once per token per LAST_USED_RESOLUTION, like last_used_at; the cache (shared
        # on Redis) decides, so concurrent first uses still make one event.
        if cache.add(token_used_cache_key(token.pk), True, LAST_USED_RESOLUTION.total_seconds()):
            audit.record(
                "api_token.used",
                actor=token.user,
                target=token,
                data={"method": request.method, "path": request.path[:500]},
                request=request._request,
            )
        return token.user, token

    def authenticate_header(self, request):
        return f'{self.keyword} realm="api"'
