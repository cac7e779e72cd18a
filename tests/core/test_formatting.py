"""One way to write durations and times for people (core.formatting)."""

import datetime as dt

import pytest

from core.formatting import duration_text, utc_text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (dt.timedelta(days=2, hours=3, minutes=5, seconds=59), "2 d 3 h 5 min"),
        (dt.timedelta(hours=2), "2 h 0 min"),
        (dt.timedelta(minutes=40, seconds=59), "40 min"),
        (dt.timedelta(seconds=59), "0 min"),
        (-dt.timedelta(hours=1, minutes=30), "1 h 30 min"),
        (3 * 86400 + 4 * 3600, "3 d 4 h 0 min"),
        (90.9, "1 min"),
    ],
)
def test_durations_are_days_hours_and_minutes_rounded_down(value, text):
    assert duration_text(value) == text


def test_an_unknown_duration_is_what_the_caller_says():
    assert duration_text(None) == ""
    assert duration_text(None, empty="—") == "—"


def test_times_are_written_in_utc_whatever_their_zone():
    moment = dt.datetime(2026, 11, 2, 9, 0, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert utc_text(moment) == "2026-11-02 08:00 UTC"
    assert utc_text(moment, seconds=True) == "2026-11-02 08:00:30 UTC"
    assert utc_text(None, empty="not known") == "not known"
