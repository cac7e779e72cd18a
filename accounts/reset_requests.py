"""Requests for a password reset link: the limits that keep the open form from being a
mail cannon, and their record in the audit log.

Each request counts once against the client's address (PASSWORD_RESET_REQUESTS_PER_CLIENT);
if within that, once against the e-mail address asked for (PASSWORD_RESET_MAILS_PER_ADDRESS;
case and blanks around it make no other address); if within that, once against each
account the address belongs to (PASSWORD_RESET_MAILS_PER_ACCOUNT), and only then does a
link go out to that account. The counts live in the cache (shared by every process on
Redis) for PASSWORD_RESET_LIMIT_WINDOW seconds from the first request.

Whatever is decided here, the person asking sees the same answer (the view redirects to
the "check your mail" page): an address with no account, a limited request and one that
sent a mail all look alike.

The audit log gets `password_reset.requested` for every request within the limits: with
the account as target and `mail_sent` when the address belongs to one; with no target
and nothing of the address otherwise (an address nobody has is a typo or a stranger's:
it is not kept). Past a limit, the first request in the window is recorded as denied with
`limited_by`; the rest of a flood goes to the JSON log only, so it cannot fill the audit
chain. Never the link or its token: those exist only in the mail.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

import audit
from audit.context import client_ip_of
from audit.logging import security_log
from audit.models import Outcome
from core.counters import count_hit

REQUESTED = "password_reset.requested"
CLIENT_LIMIT = "client address"
ADDRESS_LIMIT = "e-mail address"
ACCOUNT_LIMIT = "account"


@dataclass(frozen=True)
class _Outcome:
    """What became of one request for one account (or for no account)."""

    account: object | None
    mail: bool
    limited_by: str = ""
    limit: int = 0
    record: bool = True  # past a limit, only the first request of the window is recorded


def _address_key(email: str) -> str:
    # The same folding Django's form uses to match an address to an account; hashed,
    # so the cache holds no addresses.
    folded = unicodedata.normalize("NFKC", email.strip()).casefold()
    return "cordon:password_reset:address:" + hashlib.sha256(folded.encode()).hexdigest()


def _over(key: str, limit: int) -> tuple[bool, bool]:
    """(past the limit, first request past it) after counting one more request."""
    count = count_hit(key, window=settings.PASSWORD_RESET_LIMIT_WINDOW)
    return count > limit, count == limit + 1


def _decide(*, email: str, accounts: list, request) -> list[_Outcome]:
    """Count the request against its limits (the cache only: no database write yet)."""
    first_account = accounts[0] if accounts else None
    shared_limits = (
        (
            CLIENT_LIMIT,
            f"cordon:password_reset:client:{client_ip_of(request)}",
            settings.PASSWORD_RESET_REQUESTS_PER_CLIENT,
        ),
        (ADDRESS_LIMIT, _address_key(email), settings.PASSWORD_RESET_MAILS_PER_ADDRESS),
    )
    for name, key, limit in shared_limits:
        over, first = _over(key, limit)
        if over:
            return [_Outcome(first_account, mail=False, limited_by=name, limit=limit, record=first)]
    if not accounts:
        return [_Outcome(None, mail=False)]
    outcomes = []
    limit = settings.PASSWORD_RESET_MAILS_PER_ACCOUNT
    for account in accounts:
        over, first = _over(f"cordon:password_reset:account:{account.pk}", limit)
        if over:
            outcomes.append(
                _Outcome(account, mail=False, limited_by=ACCOUNT_LIMIT, limit=limit, record=first)
            )
        else:
            outcomes.append(_Outcome(account, mail=True))
    return outcomes


@transaction.atomic
def _record(outcomes: list[_Outcome], request) -> None:
    for outcome in outcomes:
        if outcome.limited_by:
            security_log.warning(
                "password reset request over its limit",
                extra={"action": REQUESTED, "object": outcome.limited_by, "outcome": "denied"},
            )
        if not outcome.record:
            continue
        data: dict[str, object] = {"mail_sent": outcome.mail}
        if outcome.limited_by:
            data.update(
                limited_by=outcome.limited_by,
                limit=outcome.limit,
                window_seconds=settings.PASSWORD_RESET_LIMIT_WINDOW,
            )
        audit.record(
            REQUESTED,
            target=outcome.account,
            data=data,
            outcome=Outcome.DENIED if outcome.limited_by else Outcome.SUCCESS,
            request=request,
        )


def password_reset_request(*, email: str, accounts: list, request) -> list:
    """Count a request for a reset link to `email` and record it; return those of
    `accounts` (the accounts the address belongs to, as Django's form matches them) that
    get a link now. The caller sends the mails, after this has committed."""
    outcomes = _decide(email=email, accounts=list(accounts), request=request)
    _record(outcomes, request)
    return [outcome.account for outcome in outcomes if outcome.mail]
