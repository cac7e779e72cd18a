"""Pages show labels, not stored values: data categories in the report, the metrics
table's column names, severities and times (UTC to the minute, never microseconds); the
metrics page explains its percentiles without jargon."""

import re

import pytest

from tests.conftest import sign_in
from tests.dashboard.test_metrics_views import timed_cases  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db


def test_the_report_names_data_categories_by_their_labels(client, lead, make_incident):
    incident = make_incident(reporter=lead, data_categories=["pii", "payment_cards"])
    sign_in(client, lead)
    page = client.get(f"/incidents/{incident.pk}/report/").content.decode()
    assert "Personal data (PII), Payment card data" in page
    assert "payment_cards" not in page


def test_the_metrics_table_shows_labels_and_minutes(client, lead, timed_cases):  # noqa: F811
    sign_in(client, lead)
    response = client.get("/metrics/")
    page = response.content.decode()
    table = page.split('id="per-incident-caption"')[1].split("</table>")[0]
    assert '<th scope="col">Incident</th>' in table
    assert '<th scope="col">Aware</th>' in table
    assert '<th scope="col">TLP</th>' in table and "<td>TLP:" in table
    assert "aware_at" not in table and "_hours" not in table
    assert re.search(r"<td>\d{4}-\d\d-\d\d \d\d:\d\d UTC</td>", table)
    assert not re.search(r"\d\d:\d\d:\d\d\.\d+", table)  # no microseconds
    assert "<td>High</td>" in table or "<td>Critical</td>" in table or "<td>Low</td>" in table
    assert "numpy" not in page


def test_the_metrics_csv_keeps_the_values(client, lead, timed_cases):  # noqa: F811
    sign_in(client, lead)
    body = b"".join(client.get("/metrics/export.csv", {"dataset": "incidents"})).decode()
    assert body.splitlines()[0].startswith("reference,tlp,severity,aware_at,quarter")
