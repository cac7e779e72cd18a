"""/metrics/: response times, incidents over time and action items, as SVG charts each
followed by a table of the same data, and every dataset as CSV.

Everything is computed over incidents.selectors.visible_incidents(user) only (through
dashboard.selectors.incident_times); the arithmetic is in dashboard.metrics.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseBadRequest
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.csv import csv_response
from core.formatting import utc_text
from core.forms import Form
from core.marking import tlp_label
from core.views import login_required
from dashboard import charts, metrics, selectors
from dashboard.access import may_read_metrics
from disclosures.models import Regime
from incidents.models import ActionItemStatus

PER_INCIDENT_ROWS = 50
CHART_PERIODS = 24
# Median/p90 datasets: name (also the attribute holding the summary) → title, group column.
SUMMARY_DATASETS = {
    "overall": ("All incidents", "group"),
    "by_severity": ("By severity", "severity"),
    "by_quarter": ("By quarter of awareness", "quarter"),
}
DEFAULT_METRIC = "contain"
REGIME_LABELS = dict(Regime.choices)


class MetricsForm(Form):
    metric = forms.ChoiceField(required=False, label="Response time")
    period = forms.ChoiceField(
        required=False,
        choices=[("quarter", "Quarter"), ("month", "Month")],
        label="Incidents over time per",
    )

    def __init__(self, *args, metric_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["metric"].choices = metric_choices

    def clean_metric(self):
        return self.cleaned_data["metric"] or DEFAULT_METRIC

    def clean_period(self):
        return self.cleaned_data["period"] or "quarter"


@dataclass(frozen=True)
class Dataset:
    title: str
    headers: list[str]
    rows: list[list]


def _hours(seconds):
    value = metrics.hours(seconds)
    return None if value is None else round(value, 2)


def _summary_rows(summaries: list[metrics.Summary]) -> list[list]:
    return [
        [
            row.metric,
            metrics.metric_label(row.metric, REGIME_LABELS),
            row.group,
            row.count,
            _hours(row.median),
            _hours(row.p90),
        ]
        for row in summaries
    ]


class MetricsData:
    """Every dataset of the page, computed once from the incidents the user may see."""

    def __init__(self, user, *, period: str = "quarter"):
        self.user = user
        self.period = period

    # Each worked out on first use: one CSV export needs only its own dataset.
    @cached_property
    def incidents(self) -> list[metrics.IncidentTimes]:
        return selectors.incident_times(self.user)

    @cached_property
    def metric_keys(self) -> list[str]:
        return metrics.metrics_present(self.incidents)

    @cached_property
    def overall(self) -> list[metrics.Summary]:
        return metrics.overall(self.incidents)

    @cached_property
    def by_severity(self) -> list[metrics.Summary]:
        return metrics.by_severity(self.incidents)

    @cached_property
    def by_quarter(self) -> list[metrics.Summary]:
        return metrics.by_quarter(self.incidents)

    @cached_property
    def over_time(self) -> list[tuple[str, dict[str, int]]]:
        return metrics.incidents_over_time(self.incidents, period=self.period)

    def metric_choices(self) -> list[tuple[str, str]]:
        return [
            (metric, metrics.metric_label(metric, REGIME_LABELS)) for metric in self.metric_keys
        ]

    @cached_property
    def action_item_counts(self) -> dict[str, int]:
        return selectors.action_item_status_counts(self.user)

    def per_incident(self, limit: int | None = None) -> Dataset:
        headers = [
            "reference",
            "tlp",
            "severity",
            "aware_at",
            "quarter",
            *(f"{metric}_hours" for metric in self.metric_keys),
        ]
        newest = sorted(self.incidents, key=lambda times: (times.aware_at, times.pk), reverse=True)
        if limit is not None:
            newest = newest[:limit]
        rows = []
        for times in newest:
            durations = times.durations
            rows.append(
                [
                    times.reference,
                    tlp_label(times.tlp),
                    times.severity,
                    times.aware_at.isoformat(),
                    times.quarter,
                    *(_hours(durations.get(metric)) for metric in self.metric_keys),
                ]
            )
        return Dataset("Per incident (hours)", headers, rows)

    def per_incident_table(self, limit: int) -> Dataset:
        """The per-incident dataset as the page shows it: column names and severities as
        labels, the time of awareness in UTC to the minute (the CSV keeps the values)."""
        data = self.per_incident(limit)
        headers = [
            "Incident",
            "TLP",
            "Severity",
            "Aware",
            "Quarter",
            *(f"{metrics.short_label(key, REGIME_LABELS)} (hours)" for key in self.metric_keys),
        ]
        rows = [
            [
                reference,
                tlp,
                metrics.SEVERITY_LABELS.get(severity, severity),
                utc_text(dt.datetime.fromisoformat(aware_at)),
                *rest,
            ]
            for reference, tlp, severity, aware_at, *rest in data.rows
        ]
        return Dataset(data.title, headers, rows)

    def dataset(self, name: str) -> Dataset:
        if name in SUMMARY_DATASETS:
            title, group = SUMMARY_DATASETS[name]
            return Dataset(
                title,
                ["metric", "label", group, "count", "median_hours", "p90_hours"],
                _summary_rows(getattr(self, name)),
            )
        if name == "over_time":
            return Dataset(
                f"Incidents per {self.period} by severity",
                [self.period, *metrics.SEVERITIES, "total"],
                [
                    [label, *(counts[s] for s in metrics.SEVERITIES), sum(counts.values())]
                    for label, counts in self.over_time
                ],
            )
        if name == "action_items":
            counts = self.action_item_counts
            return Dataset(
                "Action items by status",
                ["status", "label", "count"],
                [[status.value, status.label, counts[status.value]] for status in ActionItemStatus],
            )
        if name == "incidents":
            return self.per_incident()
        raise KeyError(name)


DATASETS = ("overall", "by_severity", "by_quarter", "over_time", "action_items", "incidents")


def _duration_series(summaries: list[metrics.Summary]) -> list[charts.Series]:
    return [
        charts.Series("Median", [row.median for row in summaries], charts.SERIES_FILLS[0]),
        charts.Series("90th percentile", [row.p90 for row in summaries], charts.SERIES_FILLS[1]),
    ]


def _charts(data: MetricsData, metric: str) -> dict:
    label = metrics.metric_label(metric, REGIME_LABELS)
    severity_rows = [row for row in data.by_severity if row.metric == metric]
    quarter_rows = [row for row in data.by_quarter if row.metric == metric]
    recent = data.over_time[-CHART_PERIODS:]
    action_counts = data.action_item_counts
    action_open = sum(action_counts[s] for s in ("open", "in_progress"))
    action_closed = sum(action_counts[s] for s in ("done", "wont_do"))
    return {
        "overall": charts.grouped_bar_chart(
            slug="overall",
            title="Response times over all visible incidents",
            description=(
                "Median and 90th percentile of each response time, "
                "in days, hours and minutes; the table below has the numbers."
            ),
            categories=[metrics.short_label(row.metric, REGIME_LABELS) for row in data.overall],
            series=_duration_series(data.overall),
            value_text=metrics.duration_text,
        ),
        "by_severity": charts.grouped_bar_chart(
            slug="by-severity",
            title=f"{label}, by severity",
            description="Median and 90th percentile per severity.",
            categories=[metrics.SEVERITY_LABELS[row.group] for row in severity_rows],
            series=_duration_series(severity_rows),
            value_text=metrics.duration_text,
        ),
        "severity_rows": severity_rows,
        "by_quarter": charts.grouped_bar_chart(
            slug="by-quarter",
            title=f"{label}, by quarter of awareness",
            description=(
                "Median and 90th percentile per quarter in which the incident became known."
            ),
            categories=[row.group for row in quarter_rows],
            series=_duration_series(quarter_rows),
            value_text=metrics.duration_text,
        ),
        "quarter_rows": quarter_rows,
        "over_time": charts.stacked_column_chart(
            slug="over-time",
            title=f"Incidents per {data.period} by severity",
            description=(
                f"Number of incidents that became known in each {data.period}, "
                f"stacked by severity (the last {CHART_PERIODS} at most; the table has all)."
            ),
            categories=[label for label, _ in recent],
            series=[
                charts.Series(
                    metrics.SEVERITY_LABELS[s],
                    [counts[s] for _, counts in recent],
                    charts.SEVERITY_FILLS[s],
                )
                for s in metrics.SEVERITIES
            ],
        ),
        "action_items": charts.grouped_bar_chart(
            slug="action-items",
            title="Action items: open versus done",
            description="Action items of the visible incidents by status.",
            categories=["Open or in progress", "Done or won't do"],
            series=[
                charts.Series("Action items", [action_open, action_closed], charts.SERIES_FILLS[2])
            ],
            value_text=lambda value: "—" if value is None else f"{value:g}",
        ),
        "action_counts": [
            (status.label, action_counts[status.value]) for status in ActionItemStatus
        ],
    }


def _require_access(user) -> None:
    if not may_read_metrics(user):
        raise PermissionDenied("Metrics are for CSIRT members who read incidents.")


@login_required
@require_GET
def metrics_page(request):
    _require_access(request.user)
    # Always bound, with the defaults filled in, so the lists show what is drawn.
    params = request.GET.copy()
    params.setdefault("metric", DEFAULT_METRIC)
    params.setdefault("period", "quarter")
    period = params["period"] if params["period"] in metrics.PERIODS else "quarter"
    data = MetricsData(request.user, period=period)
    form = MetricsForm(params, metric_choices=data.metric_choices())
    status = 200
    metric = DEFAULT_METRIC
    if form.is_valid():
        metric = form.cleaned_data["metric"]
    else:
        status = 400
    summary_durations = [
        (row, metrics.metric_label(row.metric, REGIME_LABELS)) for row in data.overall
    ]
    context = {
        "form": form,
        "metric": metric,
        "period": data.period,
        "incident_count": len(data.incidents),
        "charts": _charts(data, metric),
        "overall_rows": summary_durations,
        "over_time": [
            (label, [counts[s] for s in metrics.SEVERITIES], sum(counts.values()))
            for label, counts in data.over_time
        ],
        "severities": metrics.SEVERITIES,
        "per_incident": data.per_incident_table(limit=PER_INCIDENT_ROWS),
        "per_incident_limit": PER_INCIDENT_ROWS,
        "datasets": DATASETS,
    }
    return render(request, "dashboard/metrics.html", context, status=status)


@login_required
@require_GET
def metrics_export(request):
    """`/metrics/export.csv?dataset=<name>[&period=month|quarter]`: one dataset as CSV."""
    _require_access(request.user)
    name = request.GET.get("dataset", "")
    period = request.GET.get("period") or "quarter"
    if name not in DATASETS:
        return HttpResponseBadRequest(
            f"Unknown dataset. Choose one of: {', '.join(DATASETS)}.", content_type="text/plain"
        )
    if period not in metrics.PERIODS:
        return HttpResponseBadRequest(
            f"Unknown period. Choose one of: {', '.join(metrics.PERIODS)}.",
            content_type="text/plain",
        )
    dataset = MetricsData(request.user, period=period).dataset(name)
    return csv_response(f"cordon-metrics-{name}.csv", dataset.headers, dataset.rows)
