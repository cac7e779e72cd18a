"""The canonical content an event hash covers is exactly the documented JSON: the fast
assembly in audit.chain must never drift from json.dumps, or old chains stop verifying."""

import hashlib
import json
from datetime import UTC, datetime

import pytest

from audit.chain import HASHED_FIELDS, canonical_content, event_hash
from audit.context import clean_ip


def reference_hash(values: dict) -> str:
    """The original definition, kept here as the specification."""
    content = dict(values)
    if isinstance(content["created_at"], datetime):
        content["created_at"] = content["created_at"].isoformat(timespec="microseconds")
    content["ip"] = clean_ip(content["ip"]) or content["ip"]
    canonical = json.dumps(
        [content[name] for name in HASHED_FIELDS],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


BASE = {
    "created_at": datetime(2026, 11, 29, 1, 2, 3, 456789, tzinfo=UTC),
    "action": "incident.updated",
    "outcome": "success",
    "actor_id": 7,
    "actor_label": "lea",
    "target_type_id": 12,
    "target_id": "42",
    "target_label": "INC-2026-0042 Credential stuffing",
    "data": {"b": [1, 2.5, None, True], "a": {"z": "Zürich ✓", "y": '\\x00 " \n \t'}},
    "request_id": "0f" * 16,
    "ip": "192.0.2.1",
    "user_agent": "curl/8.0",
    "prev_hash": "0" * 64,
}


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"created_at": datetime(2026, 1, 1, tzinfo=UTC)},
        {"created_at": "2020-01-01 00:00:00"},
        {"actor_id": None, "actor_label": "", "target_type_id": None, "target_id": ""},
        {"ip": None},
        {"ip": ""},
        {"ip": "::ffff:192.0.2.9"},
        {"ip": "2001:DB8::1"},
        {"ip": "fe80::1%eth0"},
        {"ip": "not an address"},
        {"data": {}},
        {"data": {"emoji": "🔥", "control": "\u2028\u0007", "big": 10**30, "neg": -1.0e-7}},
        {"data": [{"k": 1}, {"a": [{"d": 2, "c": 1}]}]},
        {"action": "ünïcödé ✓ \u0000"},
    ],
)
def test_the_canonical_content_is_the_documented_json(changes):
    values = {**BASE, **changes}
    assert event_hash(values) == reference_hash(values)
    assert json.loads(canonical_content(values))[HASHED_FIELDS.index("action")] == values["action"]


def test_the_same_address_spelled_differently_hashes_the_same():
    assert event_hash({**BASE, "ip": "::ffff:192.0.2.1"}) == event_hash(BASE)


def test_non_json_values_are_refused_as_json_dumps_refuses_them():
    with pytest.raises(TypeError):
        event_hash({**BASE, "data": {"when": datetime.now(UTC)}})


@pytest.mark.parametrize(
    "data",
    [
        {"plain": "text", "n": [1, 2.5, None, True]},
        {"nul": "a\x00b", "nested": [{"k\x00": "\x00"}]},
        {"looks like an escape": "\\u0000 is six characters here", "nul": "\x00"},
        {"looks like an escape only": "\\u0000"},
        {"when": datetime(2026, 12, 4, tzinfo=UTC)},
    ],
)
def test_normalise_replaces_every_nul_and_nothing_else(data):
    from django.core.serializers.json import DjangoJSONEncoder

    from audit.chain import _without_nul, normalise

    # The specification: the JSON round trip, then every NUL made visible.
    expected = _without_nul(json.loads(json.dumps(data, cls=DjangoJSONEncoder)))
    assert normalise(data) == expected
    assert "\x00" not in json.dumps(normalise(data), ensure_ascii=False)
