"""Regulatory clocks: when each notice is due, counted from when the organisation
became aware (incidents.Incident.aware_at), or for the SEC from the materiality
determination. Pure functions of their inputs, so they are tested on fixed dates.

GDPR Art. 33: 72 hours. GDPR Art. 34: "without undue delay", no fixed time, shown
as the time elapsed. NIS2 Art. 23: early warning 24 hours, notification 72 hours,
final report one month after the notification. SEC Form 8-K Item 1.05: four
business days after the determination, due by the EDGAR filing cut-off. HIPAA: 60
calendar days from discovery.

An SEC business day is any day but Saturday, Sunday and a federal holiday (Exchange Act
Rule 0-3, Regulation S-T Rules 12 and 13): the federal calendar, not the stock
exchange's, so Good Friday counts and Columbus Day and Veterans Day do not. The federal
holidays come from the `holidays` package (observed days and closures by executive
order included), plus settings.DISCLOSURE_SEC_HOLIDAYS for a closure it does not know
yet. A year the package does not cover is an error, never a year without holidays.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Container
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings
from holidays.constants import GOVERNMENT

from disclosures.models import Regime

GDPR_NOTIFICATION_WINDOW = dt.timedelta(hours=72)
NIS2_EARLY_WARNING_WINDOW = dt.timedelta(hours=24)
NIS2_NOTIFICATION_WINDOW = dt.timedelta(hours=72)
SEC_BUSINESS_DAYS = 4
HIPAA_NOTIFICATION_WINDOW = dt.timedelta(days=60)
SATURDAY = 5


@dataclass(frozen=True)
class Deadline:
    """One legal clock. `due_at` is None when the law sets no fixed time (GDPR Art. 34)
    or when the clock has not started (SEC before the materiality determination)."""

    name: str
    label: str
    starts_at: dt.datetime | None
    due_at: dt.datetime | None
    note: str = ""

    def remaining(self, now: dt.datetime) -> dt.timedelta | None:
        return None if self.due_at is None else self.due_at - now

    def elapsed(self, now: dt.datetime) -> dt.timedelta | None:
        return None if self.starts_at is None else now - self.starts_at

    def is_overdue(self, now: dt.datetime) -> bool:
        return self.due_at is not None and now >= self.due_at


def add_one_month(moment: dt.datetime) -> dt.datetime:
    """The same day and time next month, or the month's last day when it has no such day."""
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


# The days the federal government is closed: federal holidays on their observed days
# and closures by executive order (a national day of mourning, Christmas Eve some years).
FEDERAL_CALENDAR = holidays.US
FEDERAL_CATEGORIES = (GOVERNMENT,)


class SecCalendarNotCovered(LookupError):
    """A year the federal holiday calendar does not cover: its business days are unknown."""

    def __init__(self, year: int) -> None:
        self.year = year
        super().__init__(
            f"The SEC business-day calendar does not cover {year} (the holidays package "
            f"{holidays.__version__} covers {FEDERAL_CALENDAR.start_year} to "
            f"{FEDERAL_CALENDAR.end_year}); no deadline is counted across unknown holidays."
        )


@lru_cache(maxsize=64)
def federal_closures(year: int) -> frozenset[dt.date]:
    """The days the federal government is closed in `year` (a holiday that falls on a
    weekend is there with its observed weekday)."""
    if not FEDERAL_CALENDAR.start_year <= year <= FEDERAL_CALENDAR.end_year:
        raise SecCalendarNotCovered(year)
    return frozenset(FEDERAL_CALENDAR(years=year, categories=FEDERAL_CATEGORIES))


class SecClosedDays(Container):
    """Every day besides weekends on which the SEC is closed: federal closures, and the
    extra days configured. Asking about a day of a year not covered raises."""

    def __init__(self, extra: frozenset[dt.date] = frozenset()) -> None:
        self.extra = extra

    def __contains__(self, day: object) -> bool:
        if not isinstance(day, dt.date):
            return False
        closures = federal_closures(day.year)  # first: an uncovered year always raises
        return day in self.extra or day in closures


def sec_holidays() -> SecClosedDays:
    extra = frozenset(dt.date.fromisoformat(day) for day in settings.DISCLOSURE_SEC_HOLIDAYS)
    return SecClosedDays(extra)


def add_business_days(day: dt.date, count: int, closed_days: Container[dt.date]) -> dt.date:
    """The `count`-th business day after `day` (weekends and `closed_days` do not count)."""
    while count > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < SATURDAY and day not in closed_days:
            count -= 1
    return day


def sec_8k_due(determined_at: dt.datetime) -> dt.datetime:
    """Four business days after the determination, by the filing cut-off on that day
    (business days are counted in the SEC's time zone)."""
    zone = ZoneInfo(settings.DISCLOSURE_SEC_TIME_ZONE)
    determined_on = determined_at.astimezone(zone).date()
    due_on = add_business_days(determined_on, SEC_BUSINESS_DAYS, sec_holidays())
    cutoff = dt.time.fromisoformat(settings.DISCLOSURE_SEC_FILING_CUTOFF)
    return dt.datetime.combine(due_on, cutoff, tzinfo=zone).astimezone(dt.UTC)


def deadlines_for(
    *,
    regime: str,
    aware_at: dt.datetime,
    discovered_at: dt.datetime | None = None,
    materiality_determined_at: dt.datetime | None = None,
    notified_at: dt.datetime | None = None,
) -> list[Deadline]:
    """Every deadline a notice under `regime` has, in the order they fall due.

    `notified_at`: for NIS2, when the notification actually went out; until then the
    final report is counted from the notification's own deadline.
    """
    if regime == Regime.GDPR_ART33:
        return [
            Deadline(
                "gdpr_art33_notification",
                "GDPR Art. 33 notification to the supervisory authority (72 h)",
                aware_at,
                aware_at + GDPR_NOTIFICATION_WINDOW,
            )
        ]
    if regime == Regime.GDPR_ART34:
        return [
            Deadline(
                "gdpr_art34_communication",
                "GDPR Art. 34 communication to data subjects (without undue delay)",
                aware_at,
                None,
                note="No fixed time: without undue delay. Shown as time elapsed since awareness.",
            )
        ]
    if regime == Regime.NIS2:
        notification_due = aware_at + NIS2_NOTIFICATION_WINDOW
        return [
            Deadline(
                "nis2_early_warning",
                "NIS2 early warning (24 h)",
                aware_at,
                aware_at + NIS2_EARLY_WARNING_WINDOW,
            ),
            Deadline(
                "nis2_notification", "NIS2 incident notification (72 h)", aware_at, notification_due
            ),
            Deadline(
                "nis2_final_report",
                "NIS2 final report (one month after the notification)",
                notified_at or notification_due,
                add_one_month(notified_at or notification_due),
            ),
        ]
    if regime == Regime.SEC_8K:
        if materiality_determined_at is None:
            return [
                Deadline(
                    "sec_8k_item_1_05",
                    "SEC Form 8-K Item 1.05 (4 business days)",
                    None,
                    None,
                    note="The clock starts when materiality is determined; not recorded yet.",
                )
            ]
        return [
            Deadline(
                "sec_8k_item_1_05",
                "SEC Form 8-K Item 1.05 (4 business days)",
                materiality_determined_at,
                sec_8k_due(materiality_determined_at),
            )
        ]
    if regime == Regime.HIPAA:
        discovered = discovered_at or aware_at
        return [
            Deadline(
                "hipaa_notification",
                "HIPAA breach notification (60 calendar days from discovery)",
                discovered,
                discovered + HIPAA_NOTIFICATION_WINDOW,
            )
        ]
    return []
