"""The canonical content of an audit event and its hash: one definition, used both
when an event is written and when the chain is verified."""

import hashlib
import json
from datetime import datetime

from django.core.serializers.json import DjangoJSONEncoder

from audit.context import clean_ip

# The fields an event's hash covers, in order. Changing this list breaks every
# existing chain; add a version field first if it must ever change.
HASHED_FIELDS = (
    "created_at",
    "action",
    "outcome",
    "actor_id",
    "actor_label",
    "target_type_id",
    "target_id",
    "target_label",
    "data",
    "request_id",
    "ip",
    "user_agent",
    "prev_hash",
)


def _without_nul(value):
    # PostgreSQL's jsonb cannot hold U+0000; keep it visible instead of failing the write.
    if isinstance(value, str):
        return value.replace("\x00", "\\x00")
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    if isinstance(value, dict):
        return {_without_nul(key): _without_nul(item) for key, item in value.items()}
    return value


def normalise(data):
    """The JSON form of `data` exactly as the database will give it back."""
    return _without_nul(json.loads(json.dumps(data, cls=DjangoJSONEncoder)))


def event_hash(values: dict) -> str:
    content = dict(values)
    created_at = content["created_at"]
    if isinstance(created_at, datetime):
        content["created_at"] = created_at.isoformat(timespec="microseconds")
    # PostgreSQL's inet spells some IPv6 addresses otherwise than Python does; text
    # that is no address at all (only a tampered row holds it) is hashed as it is.
    content["ip"] = clean_ip(content["ip"]) or content["ip"]
    canonical = json.dumps(
        [content[name] for name in HASHED_FIELDS],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()
