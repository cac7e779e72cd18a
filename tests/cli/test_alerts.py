"""`cordon alert send` against a live server: a new alert, a repeat, a file of many, a
refused item."""

import json

import pytest

from intake.models import Alert

pytestmark = pytest.mark.django_db(transaction=True)
SCOPES = ("alerts:write",)


def test_send_then_send_again_raises_the_count(cordon, reporter):
    args = (
        "alert",
        "send",
        "--source",
        "backup-check",
        "--ref",
        "job-42",
        "--title",
        "Backup failed",
    )
    first = cordon(
        reporter, *args, "--severity", "high", "--observable", "hostname:db-1", scopes=SCOPES
    )
    assert first.code == 0, first.stderr
    assert first.stdout.strip().endswith("count 1\tnew")
    again = cordon(reporter, *args, scopes=SCOPES)
    assert again.code == 0, again.stderr
    assert again.stdout.strip().endswith("count 2\tduplicate")
    alert = Alert.objects.get()
    assert (alert.count, alert.severity, alert.sender) == (2, "high", reporter)
    assert list(alert.observables.values_list("normalized_value", flat=True)) == ["db-1"]


def test_a_file_of_alerts_and_a_refused_item(cordon, reporter, tmp_path):
    batch = tmp_path / "alerts.json"
    batch.write_text(json.dumps([{"source": "cron", "title": f"Job {n}"} for n in range(3)]))
    result = cordon(reporter, "--json", "alert", "send", "--file", str(batch), scopes=SCOPES)
    assert result.code == 0, result.stderr
    assert [json.loads(line)["created"] for line in result.stdout.splitlines()] == [True] * 3
    refused = cordon(
        reporter,
        "alert",
        "send",
        "--source",
        "x",
        "--title",
        "y",
        "--observable",
        "ipv4:nope",
        scopes=SCOPES,
    )
    assert refused.code != 0
    assert "observables[1].value" in refused.stderr
    assert Alert.objects.count() == 3
    usage = cordon(reporter, "alert", "send", "--title", "no source", scopes=SCOPES)
    assert usage.code != 0 and "--source" in usage.stderr
