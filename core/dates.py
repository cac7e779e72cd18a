"""The range of times and dates the application accepts, shared by every app.

Two kinds, each with its validator (on the model fields, so every service's
full_clean and DRF's model serializers apply it):

- **Event times**, things that happened (an incident occurred, was discovered, became
  known; a system's impact started or ended; a timeline entry; evidence collected; a
  materiality determination): from 1970-01-01 00:00 UTC to now, plus ALLOWED_CLOCK_SKEW
  for a sender whose clock runs a little ahead. A year 0001 or 0999 is a typing error,
  and nothing that happened can have happened later than now.
- **Planned dates**, things that are due (a task, an action item): from 1970-01-01 to
  2100-12-31. They lie in the future by nature; a year past 2100 is a typing error too.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone

EARLIEST_TIME = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
EARLIEST_DATE = EARLIEST_TIME.date()
LATEST_PLANNED_DATE = dt.date(2100, 12, 31)
ALLOWED_CLOCK_SKEW = dt.timedelta(minutes=5)


def _aware(value: dt.datetime) -> dt.datetime:
    return value if timezone.is_aware(value) else value.replace(tzinfo=dt.UTC)


def event_time_error(value) -> str | None:
    """Why `value` is not an acceptable event time, or None when it is."""
    if not isinstance(value, dt.datetime):
        return None
    value = _aware(value)
    if value < EARLIEST_TIME:
        return "This time is before 1970: check the year."
    if value > timezone.now() + ALLOWED_CLOCK_SKEW:
        return "This time is in the future."
    return None


def validate_event_time(value) -> None:
    """Something that happened: from 1970 to now (plus a small clock skew)."""
    message = event_time_error(value)
    if message:
        raise ValidationError(message, code="event_time_range")


def validate_planned_date(value) -> None:
    """Something due: a date (or time) from 1970 to the end of 2100."""
    if isinstance(value, dt.datetime):
        value = _aware(value).astimezone(dt.UTC).date()
    if not isinstance(value, dt.date):
        return
    if value < EARLIEST_DATE:
        raise ValidationError("This date is before 1970: check the year.", code="date_range")
    if value > LATEST_PLANNED_DATE:
        raise ValidationError("This date is after 2100: check the year.", code="date_range")
