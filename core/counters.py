"""Counters in the cache (Redis when several processes serve): how many times something
happened within a fixed window, for limits that must hold across every web process."""

from __future__ import annotations

from django.core.cache import cache


def count_hit(key: str, *, window: int) -> int:
    """Count one more hit under `key` and return the count in the current window,
    which starts at the first hit and lasts `window` seconds."""
    if cache.add(key, 1, window):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # the window ended between add and incr: this hit starts a new one
        cache.add(key, 1, window)
        return 1


def hits(key: str) -> int:
    """The count under `key` in its current window (0 when none)."""
    return cache.get(key, 0)
