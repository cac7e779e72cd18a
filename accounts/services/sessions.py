"""A person's browser sessions: their public id, and ending them."""

from __future__ import annotations

import hashlib

from django.db import transaction

import audit
from accounts.models import (
    User,
    UserSession,
)


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
