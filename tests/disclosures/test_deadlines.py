"""Deadline arithmetic on fixed dates (issue 5): GDPR, NIS2, SEC 8-K, HIPAA."""

import datetime as dt

import pytest

from disclosures.deadlines import add_business_days, add_one_month, deadlines_for, sec_8k_due
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


def test_sec_holidays_are_configurable(settings):
    settings.DISCLOSURE_SEC_HOLIDAYS = []
    assert add_business_days(dt.date(2025, 7, 3), 4, frozenset()) == dt.date(2025, 7, 9)
    due_at = sec_8k_due(dt.datetime(2025, 7, 3, 15, 0, tzinfo=dt.UTC))
    assert due_at.date() == dt.date(2025, 7, 9)


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
