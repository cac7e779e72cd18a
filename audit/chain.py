"""The canonical content of an audit event and its hash: one definition, used both
when an event is written and when the chain is verified."""

import hashlib
import json
from datetime import datetime
from functools import lru_cache

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
# The leaf covers everything but the link to the event before (always last above).
LEAF_FIELDS = HASHED_FIELDS[:-1]
_CREATED_AT = HASHED_FIELDS.index("created_at")
_IP = HASHED_FIELDS.index("ip")


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
    text = json.dumps(data, cls=DjangoJSONEncoder)
    # json.dumps writes U+0000 as the escape below (ASCII output): without it in the text
    # there is nothing to replace, and walking every value again is most of the cost.
    if "\\u0000" not in text:
        return json.loads(text)
    return _without_nul(json.loads(text))


# One encoder made once: json.dumps with these arguments builds a new one per call, and
# verify_audit_chain hashes every event ever written.
_CANONICAL_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@lru_cache(maxsize=4096)
def _canonical_ip(value: str) -> str:
    # Events come from few addresses; parsing each one again was a fifth of verification.
    return clean_ip(value) or value


def canonical_content(values: dict) -> str:
    """The text an event's hash covers: its HASHED_FIELDS, in order, as one compact JSON
    list (keys sorted, no ASCII escaping)."""
    return _canonical([values[name] for name in HASHED_FIELDS])


def leaf_content(values: dict) -> str:
    """The text an event's Merkle leaf covers: the same JSON list without `prev_hash`,
    which nobody knows until the sequencer gives the event its position."""
    return _canonical([values[name] for name in LEAF_FIELDS])


def _canonical(content: list) -> str:
    created_at = content[_CREATED_AT]
    if isinstance(created_at, datetime):
        content[_CREATED_AT] = created_at.isoformat(timespec="microseconds")
    # PostgreSQL's inet spells some IPv6 addresses otherwise than Python does; text
    # that is no address at all (only a tampered row holds it) is hashed as it is.
    ip = content[_IP]
    if ip:
        content[_IP] = _canonical_ip(ip) if isinstance(ip, str) else clean_ip(ip) or ip
    return _CANONICAL_JSON.encode(content)


def event_hash(values: dict) -> str:
    return hashlib.sha256(canonical_content(values).encode()).hexdigest()


def leaf_hash(values: dict) -> str:
    """RFC 9162 leaf hash of the event, SHA-256(0x00 || leaf content), in hex."""
    return hashlib.sha256(b"\x00" + leaf_content(values).encode()).hexdigest()


def sealed_hashes(values: dict, prev_hash: str) -> tuple[str, str]:
    """(leaf hash, chain hash) of an event linked to `prev_hash`, from one encoding: the
    chain's JSON list is the leaf's with `prev_hash` appended."""
    leaf = leaf_content(values)
    chained = f"{leaf[:-1]},{_CANONICAL_JSON.encode(prev_hash)}]"
    return (
        hashlib.sha256(b"\x00" + leaf.encode()).hexdigest(),
        hashlib.sha256(chained.encode()).hexdigest(),
    )
