"""/metrics/ and its CSV exports: computed over the incidents the person may see only."""

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone

from disclosures import services as disclosure_services
from tests.conftest import sign_in
from tests.factories import fill_blanks

pytestmark = pytest.mark.django_db

METRICS = "/metrics/"
EXPORT = "/metrics/export.csv"


def export(client, **params):
    response = client.get(EXPORT, params)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


@pytest.fixture
def timed_cases(lead, make_incident):
    """Three medium incidents detected after 1, 2 and 6 hours, and a restricted critical
    one (detected after 10 hours) that a responder off its crew may not see."""
    aware = timezone.now() - dt.timedelta(days=3)
    cases = []
    for hours_to_detect in (1, 2, 6):
        cases.append(
            make_incident(
                reporter=lead,
                severity="medium",
                occurred_at=aware - dt.timedelta(hours=hours_to_detect + 1),
                discovered_at=aware - dt.timedelta(hours=1),
                aware_at=aware,
            )
        )
    secret = make_incident(
        reporter=lead,
        severity="critical",
        restricted=True,
        occurred_at=aware - dt.timedelta(hours=10),
        discovered_at=aware,
        aware_at=aware,
    )
    return cases, secret


def row_of(rows, **match):
    (row,) = [r for r in rows if all(r[key] == value for key, value in match.items())]
    return row


def test_by_severity_export_has_the_hand_computed_median_and_p90(client, lead, timed_cases):
    sign_in(client, lead)
    rows = export(client, dataset="by_severity")
    medium = row_of(rows, metric="detect", severity="medium")
    # 1, 2, 6 hours: median 2; p90 at rank 1.8 → 2 + 0.8 * (6 - 2) = 5.2
    assert medium["count"] == "3"
    assert float(medium["median_hours"]) == pytest.approx(2.0)
    assert float(medium["p90_hours"]) == pytest.approx(5.2)
    aware = row_of(rows, metric="aware", severity="medium")
    assert float(aware["median_hours"]) == pytest.approx(1.0)
    critical = row_of(rows, metric="detect", severity="critical")
    assert (critical["count"], float(critical["median_hours"])) == ("1", 10.0)
    assert row_of(rows, metric="contain", severity="medium")["median_hours"] == ""


def test_restricted_incidents_out_of_sight_are_not_counted(client, responder, timed_cases):
    sign_in(client, responder)
    response = client.get(METRICS)
    assert response.status_code == 200
    assert response.context["incident_count"] == 3
    rows = export(client, dataset="by_severity")
    assert row_of(rows, metric="detect", severity="critical")["count"] == "0"
    references = {row["reference"] for row in export(client, dataset="incidents")}
    assert timed_cases[1].reference not in references
    assert references == {incident.reference for incident in timed_cases[0]}


def test_time_to_notify_runs_from_awareness_to_the_first_publication(
    client, lead, manager, timed_cases
):
    incident = timed_cases[0][0]
    disclosure = disclosure_services.disclosure_create(
        incident=incident, actor=lead, audience="regulator", regime="nis2"
    )
    fill_blanks(disclosure, lead)
    disclosure_services.disclosure_submit(disclosure=disclosure, actor=lead)
    disclosure_services.disclosure_approve(disclosure=disclosure, actor=manager)
    publication = disclosure_services.disclosure_publish(
        disclosure=disclosure,
        actor=manager,
        channel="CSIRT portal",
        recipients="National CSIRT",
        late_reason="Held back at the investigators' request.",
    )
    expected = (publication.published_at - incident.aware_at).total_seconds() / 3600
    sign_in(client, lead)
    (row,) = [
        r for r in export(client, dataset="incidents") if r["reference"] == incident.reference
    ]
    assert float(row["notify_nis2_hours"]) == pytest.approx(expected, abs=0.01)
    overall = row_of(export(client, dataset="overall"), metric="notify_nis2")
    assert overall["count"] == "1"
    page = client.get(METRICS, {"metric": "notify_nis2"}).content.decode()
    assert "Time to notify, NIS2 Art. 23" in page


def test_incidents_over_time_and_action_items_export(client, lead, timed_cases, make_action_item):
    make_action_item(timed_cases[0][0], lead)
    make_action_item(timed_cases[0][1], lead, status="done")
    make_action_item(timed_cases[1], lead, status="wont_do")
    sign_in(client, lead)
    (quarter,) = export(client, dataset="over_time", period="quarter")
    assert (quarter["medium"], quarter["critical"], quarter["total"]) == ("3", "1", "4")
    counts = {row["status"]: row["count"] for row in export(client, dataset="action_items")}
    assert counts == {"open": "1", "in_progress": "0", "done": "1", "wont_do": "1"}


def test_the_page_draws_svg_charts_each_followed_by_a_table(client, lead, timed_cases):
    sign_in(client, lead)
    response = client.get(METRICS)
    page = response.content.decode()
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg" role="img"') == 5
    assert '<title id="chart-by-severity-title">' in page
    assert 'style="' not in page  # the CSP forbids inline styles
    assert "<script>" not in page
    after_each_chart = page.split("</figure>")[1:]
    assert len(after_each_chart) == 5
    for following in after_each_chart:
        assert following.lstrip().startswith(('<div class="table-wrap">', "<details>"))


def test_bad_choices_are_refused_clearly(client, lead):
    sign_in(client, lead)
    response = client.get(EXPORT, {"dataset": "passwords"})
    assert response.status_code == 400
    assert b"Unknown dataset" in response.content
    assert client.get(EXPORT, {"dataset": "over_time", "period": "week"}).status_code == 400
    assert client.get(METRICS, {"metric": "nonsense"}).status_code == 400


def test_reporters_have_no_metrics(client, reporter):
    sign_in(client, reporter)
    assert client.get(METRICS).status_code == 403
    assert client.get(EXPORT, {"dataset": "incidents"}).status_code == 403


def test_metrics_need_a_signed_in_person(client):
    assert client.get(METRICS).status_code == 302


def test_every_metrics_export_goes_through_the_guarded_writer(
    client, lead, timed_cases, monkeypatch
):
    """No dataset carries outsiders' text today (references, severities, quarters and
    numbers only); should one ever do, the export guards it like every CSV (core.csv).
    The incidents dataset is given a hostile text cell here to prove the wiring."""
    from dashboard.metrics_views import Dataset, MetricsData

    real = MetricsData.per_incident

    def with_hostile_text(self, limit=None):
        dataset = real(self, limit)
        rows = [[" =1+1", *row[1:]] for row in dataset.rows]
        return Dataset(dataset.title, dataset.headers, rows)

    monkeypatch.setattr(MetricsData, "per_incident", with_hostile_text)
    sign_in(client, lead)
    rows = export(client, dataset="incidents")
    assert {row["reference"] for row in rows} == {"' =1+1"}
    assert all(float(row["detect_hours"]) > 0 for row in rows)


def test_metrics_run_the_same_queries_for_more_incidents(client, lead, make_incident):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_incident(reporter=lead)
    sign_in(client, lead)
    client.get(METRICS)
    with CaptureQueriesContext(connection) as few:
        client.get(METRICS)
    for _ in range(5):
        make_incident(reporter=lead, restricted=True)
    with CaptureQueriesContext(connection) as many:
        assert client.get(METRICS).status_code == 200
    assert len(many) == len(few)
