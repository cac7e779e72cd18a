"""dashboard.metrics on fixed data, against values worked out by hand below."""

import datetime as dt

import pytest

from dashboard import charts, metrics
from dashboard.metrics import IncidentTimes

HOUR = 3600
T0 = dt.datetime(2026, 1, 10, tzinfo=dt.UTC)


def h(hours: float) -> dt.timedelta:
    return dt.timedelta(hours=hours)


def times(pk, severity, *, occurred, discovered, aware, contained=None, resolved=None, **notified):
    return IncidentTimes(
        pk=pk,
        reference=f"INC-2026-{pk:04d}",
        severity=severity,
        occurred_at=occurred,
        discovered_at=discovered,
        aware_at=aware,
        contained_at=contained,
        resolved_at=resolved,
        first_notified=notified,
    )


# Four high incidents (three in 2026-Q1, one in 2026-Q2) and one low one.
#           detect  aware  contain  recover  notify gdpr_art33
# A high      2 h    1 h     10 h     40 h     50 h
# B high      4 h    0 h     20 h      —        —
# C high     10 h    2 h      —        —        —
# D high     30 h    1 h      5 h     30 h     12 h   (aware in April: Q2)
# E low       1 h    1 h   backwards   —        —     (contained before aware: left out)
A = times(
    1,
    "high",
    occurred=T0,
    discovered=T0 + h(2),
    aware=T0 + h(3),
    contained=T0 + h(13),
    resolved=T0 + h(43),
    gdpr_art33=T0 + h(53),
)
B = times(2, "high", occurred=T0, discovered=T0 + h(4), aware=T0 + h(4), contained=T0 + h(24))
C = times(3, "high", occurred=T0, discovered=T0 + h(10), aware=T0 + h(12))
APRIL = dt.datetime(2026, 4, 2, tzinfo=dt.UTC)
D = times(
    4,
    "high",
    occurred=APRIL - h(31),
    discovered=APRIL - h(1),
    aware=APRIL,
    contained=APRIL + h(5),
    resolved=APRIL + h(30),
    gdpr_art33=APRIL + h(12),
)
E = times(5, "low", occurred=T0, discovered=T0 + h(1), aware=T0 + h(2), contained=T0 + h(1))
DATA = [A, B, C, D, E]


def find(rows, metric, group):
    (row,) = [r for r in rows if r.metric == metric and r.group == group]
    return row


@pytest.mark.parametrize(
    ("values", "p", "expected"),
    [
        ([1, 2, 3, 4], 50, 2.5),
        ([1, 2, 3, 4], 90, 3.7),  # rank 2.7: 3 + 0.7 * (4 - 3)
        ([15, 20, 35, 40, 50], 40, 29),  # rank 1.6: 20 + 0.6 * 15
        ([40, 15, 50, 35, 20], 100, 50),
        ([7], 90, 7),
    ],
)
def test_percentile_interpolates_linearly_between_ranks(values, p, expected):
    assert metrics.percentile(values, p) == pytest.approx(expected)


def test_percentile_of_nothing_is_none_and_out_of_range_is_refused():
    assert metrics.percentile([], 50) is None
    with pytest.raises(ValueError, match="between 0 and 100"):
        metrics.percentile([1], 101)


def test_durations_of_one_incident():
    durations = metrics.incident_durations(A)
    assert durations == {
        "detect": 2 * HOUR,
        "aware": 1 * HOUR,
        "contain": 10 * HOUR,
        "recover": 40 * HOUR,
        "notify_gdpr_art33": 50 * HOUR,
    }
    assert metrics.incident_durations(C)["contain"] is None
    assert metrics.incident_durations(E)["contain"] is None  # runs backwards: left out


def test_median_and_p90_by_severity_match_hand_computed_values():
    rows = metrics.by_severity(DATA)
    detect = find(rows, "detect", "high")
    # high detect: 2, 4, 10, 30 → median (4 + 10) / 2 = 7; p90 rank 2.7 → 10 + 0.7 * 20 = 24
    assert (detect.count, detect.median, detect.p90) == (4, 7 * HOUR, pytest.approx(24 * HOUR))
    contain = find(rows, "contain", "high")
    # high contain: 5, 10, 20 → median 10; p90 rank 1.8 → 10 + 0.8 * 10 = 18
    assert (contain.count, contain.median, contain.p90) == (3, 10 * HOUR, pytest.approx(18 * HOUR))
    recover = find(rows, "recover", "high")
    # 30, 40 → median 35; p90 rank 0.9 → 30 + 0.9 * 10 = 39
    assert (recover.median, recover.p90) == (35 * HOUR, pytest.approx(39 * HOUR))
    notify = find(rows, "notify_gdpr_art33", "high")
    # 12, 50 → median 31; p90 → 12 + 0.9 * 38 = 46.2
    assert (notify.count, notify.median) == (2, 31 * HOUR)
    assert notify.p90 == pytest.approx(46.2 * HOUR)
    low_contain = find(rows, "contain", "low")
    assert (low_contain.count, low_contain.median, low_contain.p90) == (0, None, None)
    assert find(rows, "detect", "low").median == 1 * HOUR
    # Every severity is listed, even without incidents.
    assert find(rows, "detect", "critical").count == 0


def test_median_and_p90_by_quarter_of_awareness():
    rows = metrics.by_quarter(DATA)
    assert sorted({row.group for row in rows}) == ["2026-Q1", "2026-Q2"]
    q1 = find(rows, "detect", "2026-Q1")
    # Q1 detect: 2, 4, 10, 1 → sorted 1, 2, 4, 10 → median 3; p90 rank 2.7 → 4 + 0.7 * 6 = 8.2
    assert (q1.count, q1.median) == (4, 3 * HOUR)
    assert q1.p90 == pytest.approx(8.2 * HOUR)
    q2 = find(rows, "detect", "2026-Q2")
    assert (q2.count, q2.median, q2.p90) == (1, 30 * HOUR, 30 * HOUR)
    assert find(rows, "notify_gdpr_art33", "2026-Q2").median == 12 * HOUR


def test_quarters_and_months_are_read_in_utc():
    late_evening_elsewhere = dt.datetime(
        2026, 3, 31, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5))
    )
    assert metrics.quarter_of(late_evening_elsewhere) == "2026-Q2"
    assert metrics.month_of(late_evening_elsewhere) == "2026-04"


def test_incidents_over_time_fills_empty_periods():
    by_month = metrics.incidents_over_time(DATA, period="month")
    assert [label for label, _ in by_month] == ["2026-01", "2026-02", "2026-03", "2026-04"]
    assert by_month[0][1] == {"low": 1, "medium": 0, "high": 3, "critical": 0}
    assert sum(by_month[1][1].values()) == 0
    assert by_month[3][1]["high"] == 1
    by_quarter = metrics.incidents_over_time(DATA, period="quarter")
    assert by_quarter == [
        ("2026-Q1", {"low": 1, "medium": 0, "high": 3, "critical": 0}),
        ("2026-Q2", {"low": 0, "medium": 0, "high": 1, "critical": 0}),
    ]
    year_end = [
        times(
            9, "low", occurred=None, discovered=None, aware=dt.datetime(2025, 12, 1, tzinfo=dt.UTC)
        )
    ]
    assert [label for label, _ in metrics.incidents_over_time([*year_end, A])] == [
        "2025-12",
        "2026-01",
    ]
    with pytest.raises(ValueError, match="period"):
        metrics.incidents_over_time(DATA, period="week")


def test_duration_text_for_people():
    assert metrics.duration_text(None) == "—"
    assert metrics.duration_text(40 * 60) == "40 min"
    assert metrics.duration_text(5 * HOUR + 12 * 60) == "5 h 12 min"
    assert metrics.duration_text(76 * HOUR) == "3 d 4 h 0 min"  # core.formatting, as everywhere


def test_bar_lengths_are_proportional_and_a_missing_value_draws_no_bar():
    chart = charts.grouped_bar_chart(
        slug="t",
        title="T",
        description="D",
        categories=["a", "b"],
        series=[
            charts.Series("Median", [10.0, None], "#000"),
            charts.Series("P90", [20.0, 5.0], "#111"),
        ],
        value_text=str,
    )
    widths = [bar.width for bar in chart.bars]
    assert widths == [charts.PLOT_WIDTH / 2, charts.PLOT_WIDTH, charts.PLOT_WIDTH / 4]
    assert [bar.title for bar in chart.bars] == ["a, Median: 10.0", "a, P90: 20.0", "b, P90: 5.0"]
    assert not chart.empty


def test_stacked_columns_add_up_to_the_total():
    chart = charts.stacked_column_chart(
        slug="t",
        title="T",
        description="D",
        categories=["2026-01", "2026-02"],
        series=[charts.Series("Low", [1, 0], "#000"), charts.Series("High", [3, 2], "#111")],
    )
    first_column = [bar for bar in chart.bars if bar.title.startswith("2026-01")]
    assert sum(bar.height for bar in first_column) == pytest.approx(charts.PLOT_HEIGHT)
    (second,) = [bar for bar in chart.bars if bar.title.startswith("2026-02")]
    assert second.height == pytest.approx(charts.PLOT_HEIGHT / 2)


def test_a_year_before_1000_is_ordered_by_number_not_text():
    """'999-01' sorts after '2026-01' as text: periods are walked by number, so an old
    year cannot send the walk past the newest period for ever."""
    ancient = times(
        7, "low", occurred=None, discovered=None, aware=dt.datetime(999, 12, 1, tzinfo=dt.UTC)
    )
    recent = times(
        8, "high", occurred=None, discovered=None, aware=dt.datetime(1000, 2, 1, tzinfo=dt.UTC)
    )
    rows = metrics.incidents_over_time([recent, ancient], period="month")
    assert [label for label, _ in rows] == ["0999-12", "1000-01", "1000-02"]
    assert rows[0][1]["low"] == 1 and rows[2][1]["high"] == 1


def test_incidents_over_time_keeps_the_newest_periods_at_most(monkeypatch):
    monkeypatch.setattr(metrics, "MAX_PERIODS", 3)
    old = times(
        7, "low", occurred=None, discovered=None, aware=dt.datetime(2020, 1, 5, tzinfo=dt.UTC)
    )
    rows = metrics.incidents_over_time([old, *DATA], period="month")
    assert [label for label, _ in rows] == ["2026-02", "2026-03", "2026-04"]
