"""Response-time metrics as pure functions of fixed data: no request, no database.

The selectors (dashboard.selectors) load one `IncidentTimes` per visible incident;
everything here turns those into durations, medians and 90th percentiles, by
severity and by quarter, and counts over time, so the tests can compare the
results with values computed by hand.

Percentile definition: linear interpolation between the two nearest ranks, the
"type 7" estimator of Hyndman and Fan, which is numpy's default
(`numpy.percentile(values, p)`) and PostgreSQL's `percentile_cont`. For sorted
values x[0..n-1] the p-th percentile is at rank r = (n - 1) * p / 100:
x[floor(r)] + (x[ceil(r)] - x[floor(r)]) * (r - floor(r)). The median is the 50th.

Durations whose end is missing (not yet contained, say) are left out of the
aggregates; so are durations that run backwards (an end recorded before its
start, possible after a later correction of `aware_at`), since no honest
percentile can be made of them. Every timestamp is read in UTC.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from operator import attrgetter

from core import formatting

SEVERITIES = ("low", "medium", "high", "critical")
SEVERITY_LABELS = {"low": "Low", "medium": "Medium", "high": "High", "critical": "Critical"}
MEDIAN = 50
P90 = 90
SECONDS_PER_HOUR = 3600
PERIODS = ("month", "quarter")
# Incidents over time lists at most this many periods, the newest (50 years of months).
MAX_PERIODS = 600


@dataclass(frozen=True)
class Phase:
    """One measured stretch of an incident: from one of its timestamps to another."""

    key: str
    label: str
    start: str
    end: str


PHASES = (
    Phase("detect", "Time to detect (occurred → discovered)", "occurred_at", "discovered_at"),
    Phase("aware", "Time to become aware (discovered → aware)", "discovered_at", "aware_at"),
    Phase("contain", "Time to contain (aware → contained)", "aware_at", "contained_at"),
    Phase("recover", "Time to recover (aware → resolved)", "aware_at", "resolved_at"),
)
NOTIFY_PREFIX = "notify_"


@dataclass(slots=True)
class IncidentTimes:
    """The timestamps of one incident that the metrics need, and the first publication
    of a disclosure per regulatory regime (regime value → when it first went out)."""

    pk: int
    reference: str
    severity: str
    aware_at: dt.datetime
    occurred_at: dt.datetime | None = None
    discovered_at: dt.datetime | None = None
    contained_at: dt.datetime | None = None
    resolved_at: dt.datetime | None = None
    tlp: str = ""
    first_notified: dict[str, dt.datetime] = field(default_factory=dict)
    # Worked out once, on creation: the aggregates read them several times each.
    durations: dict[str, float | None] = field(init=False, repr=False, compare=False)
    quarter: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.durations = incident_durations(self)
        self.quarter = quarter_of(self.aware_at)


@dataclass(frozen=True)
class Summary:
    """Count, median and 90th percentile of one metric in one group, in seconds."""

    metric: str
    group: str
    count: int
    median: float | None
    p90: float | None


def percentile(values: Iterable[float], p: float) -> float | None:
    """The p-th percentile (0-100) by linear interpolation (numpy's default); None if empty."""
    if not 0 <= p <= 100:
        raise ValueError(f"A percentile is between 0 and 100, not {p}.")
    return _percentile_of_sorted(sorted(values), p)


def _percentile_of_sorted(ordered: Sequence[float], p: float) -> float | None:
    if not ordered:
        return None
    rank = (len(ordered) - 1) * p / 100
    below, above = math.floor(rank), math.ceil(rank)
    return ordered[below] + (ordered[above] - ordered[below]) * (rank - below)


def median(values: Iterable[float]) -> float | None:
    return percentile(values, MEDIAN)


def notify_metric(regime: str) -> str:
    return f"{NOTIFY_PREFIX}{regime}"


def metric_label(metric: str, regime_labels: dict[str, str] | None = None) -> str:
    for phase in PHASES:
        if phase.key == metric:
            return phase.label
    if metric.startswith(NOTIFY_PREFIX):
        regime = metric.removeprefix(NOTIFY_PREFIX)
        name = (regime_labels or {}).get(regime, regime)
        return f"Time to notify, {name} (aware → first publication)"
    raise KeyError(metric)


SHORT_PHASE_LABELS = {
    "detect": "Detect",
    "aware": "Become aware",
    "contain": "Contain",
    "recover": "Recover",
}


def short_label(metric: str, regime_labels: dict[str, str] | None = None) -> str:
    """A label short enough for a chart axis: "Contain", "Notify GDPR Art. 33"."""
    if metric in SHORT_PHASE_LABELS:
        return SHORT_PHASE_LABELS[metric]
    if metric.startswith(NOTIFY_PREFIX):
        regime = metric.removeprefix(NOTIFY_PREFIX)
        name = (regime_labels or {}).get(regime, regime)
        return f"Notify {name.split(' (')[0]}"
    raise KeyError(metric)


def _seconds(start: dt.datetime | None, end: dt.datetime | None) -> float | None:
    if start is None or end is None or end < start:
        return None
    return (end - start).total_seconds()


_PHASE_READERS = tuple(
    (phase.key, attrgetter(phase.start), attrgetter(phase.end)) for phase in PHASES
)


def incident_durations(times: IncidentTimes) -> dict[str, float | None]:
    """Every metric of one incident in seconds (None where it cannot be measured):
    the four phases, then one `notify_<regime>` per regime it was notified under."""
    durations = {key: _seconds(start(times), end(times)) for key, start, end in _PHASE_READERS}
    for regime, published_at in sorted(times.first_notified.items()):
        durations[notify_metric(regime)] = _seconds(times.aware_at, published_at)
    return durations


def quarter_of(moment: dt.datetime) -> str:
    moment = _utc(moment)
    return f"{moment.year:04d}-Q{(moment.month - 1) // 3 + 1}"


def month_of(moment: dt.datetime) -> str:
    moment = _utc(moment)
    return f"{moment.year:04d}-{moment.month:02d}"


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC) if moment.tzinfo else moment


def metrics_present(incidents: Sequence[IncidentTimes]) -> list[str]:
    """The four phases, then each notification regime that occurs in the data, sorted."""
    regimes = sorted({regime for times in incidents for regime in times.first_notified})
    return [phase.key for phase in PHASES] + [notify_metric(regime) for regime in regimes]


def summarise(
    incidents: Sequence[IncidentTimes],
    *,
    group_of: Callable[[IncidentTimes], str],
    groups: Sequence[str] | None = None,
) -> list[Summary]:
    """Median and p90 of every metric per group. With `groups`, every listed group
    appears (count 0 where there is no data) in that order; otherwise the groups
    found in the data, sorted."""
    samples: dict[tuple[str, str], list[float]] = defaultdict(list)
    found = set()
    for times in incidents:
        group = group_of(times)
        found.add(group)
        for metric, seconds in times.durations.items():
            if seconds is not None:
                samples[metric, group].append(seconds)
    ordered_groups = list(groups) if groups is not None else sorted(found)
    rows = []
    for metric in metrics_present(incidents):
        for group in ordered_groups:
            values = sorted(samples.get((metric, group), []))
            rows.append(
                Summary(
                    metric=metric,
                    group=group,
                    count=len(values),
                    median=_percentile_of_sorted(values, MEDIAN),
                    p90=_percentile_of_sorted(values, P90),
                )
            )
    return rows


def by_severity(incidents: Sequence[IncidentTimes]) -> list[Summary]:
    return summarise(incidents, group_of=lambda times: times.severity, groups=SEVERITIES)


def by_quarter(incidents: Sequence[IncidentTimes]) -> list[Summary]:
    """Grouped by the quarter (UTC) of `aware_at`."""
    return summarise(incidents, group_of=lambda times: times.quarter)


def overall(incidents: Sequence[IncidentTimes]) -> list[Summary]:
    return summarise(incidents, group_of=lambda times: "all", groups=["all"])


def _period_index(label: str) -> int:
    """A month or quarter label as a count of periods since year 0 (labels of one kind
    only), so periods are walked by number, never by comparing text."""
    year, part = label.split("-")
    if part.startswith("Q"):
        return int(year) * 4 + int(part[1:]) - 1
    return int(year) * 12 + int(part) - 1


def _period_label(index: int, period: str) -> str:
    if period == "quarter":
        year, quarter = divmod(index, 4)
        return f"{year:04d}-Q{quarter + 1}"
    year, month = divmod(index, 12)
    return f"{year:04d}-{month + 1:02d}"


def incidents_over_time(
    incidents: Sequence[IncidentTimes], *, period: str = "month"
) -> list[tuple[str, dict[str, int]]]:
    """How many incidents became known (aware_at) in each month or quarter, per
    severity: every period from the first to the last, empty ones included, but at
    most MAX_PERIODS of them, the newest (a mistyped year cannot make a page of
    thousands of empty rows)."""
    if period not in PERIODS:
        raise ValueError(f"The period is one of {', '.join(PERIODS)}, not {period!r}.")
    counts: Counter[tuple[int, str]] = Counter()
    for times in incidents:
        label = times.quarter if period == "quarter" else month_of(times.aware_at)
        counts[_period_index(label), times.severity] += 1
    if not counts:
        return []
    indexes = [index for index, _severity in counts]
    last = max(indexes)
    first = max(min(indexes), last - MAX_PERIODS + 1)
    return [
        (
            _period_label(index, period),
            {severity: counts[index, severity] for severity in SEVERITIES},
        )
        for index in range(first, last + 1)
    ]


def hours(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / SECONDS_PER_HOUR


def duration_text(seconds: float | None) -> str:
    """A duration for people (core.formatting), or "—" when unknown."""
    return formatting.duration_text(seconds, empty="—")
