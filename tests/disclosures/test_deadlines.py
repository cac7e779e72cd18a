"""Deadline arithmetic on fixed dates (issue 5): GDPR, NIS2, SEC 8-K, HIPAA."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from disclosures.deadlines import (
    SecCalendarNotCovered,
    add_business_days,
    add_one_month,
    deadlines_for,
    sec_8k_due,
)
from disclosures.models import Regime

AWARE = dt.datetime(2025, 3, 3, 10, 0, tzinfo=dt.UTC)


def due(regime, **kwargs):
    return {d.name: d.due_at for d in deadlines_for(regime=regime, aware_at=AWARE, **kwargs)}


def test_gdpr_art33_is_72_hours_after_awareness():
    assert due(Regime.GDPR_ART33) == {
        "gdpr_art33_notification": dt.datetime(2025, 3, 6, 10, 0, tzinfo=dt.UTC)
    }


def test_gdpr_art34_has_no_fixed_time_and_shows_elapsed_time():
    (deadline,) = deadlines_for(regime=Regime.GDPR_ART34, aware_at=AWARE)
    assert deadline.due_at is None
    assert deadline.elapsed(AWARE + dt.timedelta(hours=5)) == dt.timedelta(hours=5)
    assert not deadline.is_overdue(AWARE + dt.timedelta(days=365))


def test_nis2_early_warning_notification_and_final_report():
    assert due(Regime.NIS2) == {
        "nis2_early_warning": dt.datetime(2025, 3, 4, 10, 0, tzinfo=dt.UTC),
        "nis2_notification": dt.datetime(2025, 3, 6, 10, 0, tzinfo=dt.UTC),
        "nis2_final_report": dt.datetime(2025, 4, 6, 10, 0, tzinfo=dt.UTC),
    }


def test_nis2_final_report_counts_from_the_actual_notification():
    notified = dt.datetime(2025, 3, 5, 8, 0, tzinfo=dt.UTC)
    assert due(Regime.NIS2, notified_at=notified)["nis2_final_report"] == dt.datetime(
        2025, 4, 5, 8, 0, tzinfo=dt.UTC
    )


def test_one_month_after_the_31st_is_the_months_last_day():
    assert add_one_month(dt.datetime(2025, 1, 31, 9, tzinfo=dt.UTC)) == dt.datetime(
        2025, 2, 28, 9, tzinfo=dt.UTC
    )
    assert add_one_month(dt.datetime(2025, 12, 15, tzinfo=dt.UTC)).year == 2026


def test_sec_8k_skips_the_weekend_and_independence_day():
    determined = dt.datetime(2025, 7, 3, 15, 0, tzinfo=dt.UTC)  # Thursday
    due_at = sec_8k_due(determined)
    assert due_at.astimezone(dt.UTC).date() == dt.date(2025, 7, 10)
    assert due_at.date().weekday() == 3  # Thursday
    assert due(Regime.SEC_8K, materiality_determined_at=determined) == {"sec_8k_item_1_05": due_at}


NEW_YORK = ZoneInfo("America/New_York")


def sec_due_on(year, month, day, hour=10):
    """The 8-K due day for a determination at `hour` New York time on that day."""
    determined = dt.datetime(year, month, day, hour, tzinfo=NEW_YORK)
    return sec_8k_due(determined).astimezone(NEW_YORK).date()


def test_a_determination_the_wednesday_before_thanksgiving_2027_is_due_the_next_wednesday():
    # Thanksgiving (Thursday 25th) is skipped, the Friday after it is a business day.
    determined = dt.datetime(2027, 11, 24, 15, 0, tzinfo=dt.UTC)  # Wednesday, 10:00 in New York
    assert sec_8k_due(determined) == dt.datetime(2027, 12, 1, 17, 30, tzinfo=NEW_YORK)
    assert due(Regime.SEC_8K, materiality_determined_at=determined) == {
        "sec_8k_item_1_05": dt.datetime(2027, 12, 1, 22, 30, tzinfo=dt.UTC)
    }


@pytest.mark.parametrize(
    ("determined_on", "due_on", "skipped"),
    [
        ((2027, 6, 15), dt.date(2027, 6, 22), "Juneteenth, observed on Friday 18 June 2027"),
        ((2027, 10, 7), dt.date(2027, 10, 14), "Columbus Day, Monday 11 October 2027"),
        ((2027, 11, 9), dt.date(2027, 11, 16), "Veterans Day, Thursday 11 November 2027"),
        ((2027, 12, 22), dt.date(2027, 12, 29), "Christmas, observed on Friday 24 December 2027"),
        ((2027, 12, 28), dt.date(2028, 1, 4), "New Year 2028, observed on Friday 31 December 2027"),
        ((2028, 1, 13), dt.date(2028, 1, 20), "Martin Luther King Jr. Day, 17 January 2028"),
        ((2028, 6, 16), dt.date(2028, 6, 23), "Juneteenth, Monday 19 June 2028"),
        ((2028, 11, 20), dt.date(2028, 11, 27), "Thanksgiving, Thursday 23 November 2028"),
        ((2025, 1, 6), dt.date(2025, 1, 13), "the national day of mourning of 9 January 2025"),
    ],
)
def test_sec_8k_skips_the_federal_holidays_of_any_year(determined_on, due_on, skipped):
    assert sec_due_on(*determined_on) == due_on, skipped


def test_good_friday_is_an_sec_business_day():
    """EDGAR is open on Good Friday (a stock exchange holiday, not a federal one): counting
    it as a holiday would put the due date a day after the real one."""
    assert sec_due_on(2027, 3, 22) == dt.date(2027, 3, 26)  # Good Friday 2027
    assert sec_due_on(2028, 4, 10) == dt.date(2028, 4, 14)  # Good Friday 2028


def test_more_closure_days_can_be_configured(settings):
    """A closure the calendar does not know yet (an executive order after its release)."""
    settings.DISCLOSURE_SEC_HOLIDAYS = ["2027-03-26"]
    assert sec_due_on(2027, 3, 22) == dt.date(2027, 3, 29)
    assert add_business_days(dt.date(2025, 7, 3), 4, frozenset()) == dt.date(2025, 7, 9)


def test_a_year_the_calendar_does_not_cover_is_an_error_naming_it():
    # Determined in December 2100 (covered), due in January 2101 (not covered).
    with pytest.raises(SecCalendarNotCovered, match="2101") as refused:
        deadlines_for(
            regime=Regime.SEC_8K,
            aware_at=AWARE,
            materiality_determined_at=dt.datetime(2100, 12, 28, 15, 0, tzinfo=dt.UTC),
        )
    assert refused.value.year == 2101
    assert sec_due_on(2100, 6, 1) == dt.date(2100, 6, 7)  # a covered year works


def test_sec_clock_waits_for_the_materiality_determination():
    (deadline,) = deadlines_for(regime=Regime.SEC_8K, aware_at=AWARE)
    assert deadline.due_at is None
    assert "materiality" in deadline.note


def test_hipaa_is_60_calendar_days_from_discovery():
    discovered = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)
    assert due(Regime.HIPAA, discovered_at=discovered) == {
        "hipaa_notification": dt.datetime(2025, 4, 30, 12, 0, tzinfo=dt.UTC)
    }
    assert due(Regime.HIPAA)["hipaa_notification"] == AWARE + dt.timedelta(days=60)


@pytest.mark.parametrize("regime", [Regime.NONE])
def test_no_regime_no_clock(regime):
    assert deadlines_for(regime=regime, aware_at=AWARE) == []
