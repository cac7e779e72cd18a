"""How Cordon writes times and durations for people: one way, everywhere.

Times are UTC ("2026-11-02 08:00 UTC"); durations are days, hours and minutes,
rounded down to the minute ("2 d 3 h 5 min", "2 h 0 min", "40 min", "0 min"). The sign of a
duration is the caller's to say ("overdue by …", "… left").
"""

from __future__ import annotations

import datetime as dt

SECONDS_PER_MINUTE = 60
MINUTES_PER_HOUR = 60
MINUTES_PER_DAY = 24 * MINUTES_PER_HOUR


def duration_text(duration: dt.timedelta | float | None, *, empty: str = "") -> str:
    """A duration (a timedelta or seconds) for people; `empty` when it is unknown."""
    if duration is None:
        return empty
    seconds = duration.total_seconds() if isinstance(duration, dt.timedelta) else duration
    minutes = int(abs(seconds) // SECONDS_PER_MINUTE)
    days, minutes = divmod(minutes, MINUTES_PER_DAY)
    hours, minutes = divmod(minutes, MINUTES_PER_HOUR)
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else "", f"{minutes} min"]
    return " ".join(part for part in parts if part)


def utc_text(moment: dt.datetime | None, *, seconds: bool = False, empty: str = "") -> str:
    """A moment in UTC to the minute (or second): "2026-11-02 08:00 UTC"."""
    if moment is None:
        return empty
    pattern = "%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M"
    return f"{moment.astimezone(dt.UTC):{pattern}} UTC"
