"""core.dates: the range of event times and planned dates every app accepts."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.dates import (
    ALLOWED_CLOCK_SKEW,
    event_time_error,
    validate_event_time,
    validate_planned_date,
)

UTC = dt.UTC


@pytest.mark.parametrize(
    "moment",
    [
        dt.datetime(1970, 1, 1, tzinfo=UTC),
        dt.datetime(2025, 3, 1, 8, 0, tzinfo=UTC),
        None,  # an empty time is the field's business (blank/null), not the range's
    ],
)
def test_event_times_from_1970_to_now_are_accepted(moment):
    validate_event_time(moment)
    validate_event_time(timezone.now() + ALLOWED_CLOCK_SKEW / 2)


@pytest.mark.parametrize(
    ("moment", "message"),
    [
        (dt.datetime(1, 1, 1, tzinfo=UTC), "before 1970"),
        (dt.datetime(999, 12, 31, tzinfo=UTC), "before 1970"),
        (dt.datetime(1969, 12, 31, 23, 59, tzinfo=UTC), "before 1970"),
        (dt.datetime(1, 1, 1), "before 1970"),  # naive: read as UTC
    ],
)
def test_event_times_before_1970_are_a_typing_error(moment, message):
    with pytest.raises(ValidationError, match=message):
        validate_event_time(moment)


def test_event_times_in_the_future_are_refused_beyond_the_clock_skew():
    later = timezone.now() + ALLOWED_CLOCK_SKEW + dt.timedelta(minutes=1)
    assert event_time_error(later) == "This time is in the future."
    with pytest.raises(ValidationError):
        validate_event_time(later)


@pytest.mark.parametrize(
    "day", [dt.date(1970, 1, 1), dt.date(2030, 6, 1), dt.date(2100, 12, 31), None]
)
def test_planned_dates_from_1970_to_2100_are_accepted(day):
    validate_planned_date(day)


@pytest.mark.parametrize(
    ("day", "message"),
    [
        (dt.date(1, 1, 1), "before 1970"),
        (dt.date(1969, 12, 31), "before 1970"),
        (dt.date(2101, 1, 1), "after 2100"),
        (dt.date(9999, 12, 31), "after 2100"),
        (dt.datetime(1, 1, 1, tzinfo=UTC), "before 1970"),
    ],
)
def test_planned_dates_outside_the_range_are_refused(day, message):
    with pytest.raises(ValidationError, match=message):
        validate_planned_date(day)
