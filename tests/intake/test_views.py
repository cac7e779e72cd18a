"""The /intake/ queue in the browser: who sees it, filters and counts, bulk triage on a
selection, the alert page (raw payload as text, merge suggestions within need-to-know)."""

import pytest

from incidents.models import Incident
from intake.models import Alert, AlertStatus
from tests.conftest import sign_in
from tests.factories import IncidentFactory
from tests.intake.conftest import send
from tests.observables.conftest import add
from tests.writes import writes_nothing

pytestmark = pytest.mark.django_db

QUEUE = "/intake/"
BULK = "/intake/bulk/"


@pytest.fixture
def browser(client, responder):
    sign_in(client, responder)
    return client


def test_the_queue_lists_newest_first_with_counts_and_filters(browser, responder):
    older = send(responder, title="Older", source="siem", severity="low")
    newer = send(
        responder,
        title="Newer",
        source="mail",
        severity="critical",
        type="phishing",
        observables=[("domain", "evil.example")],
    )
    page = browser.get(QUEUE)
    assert page.status_code == 200
    html = page.content.decode()
    assert html.index("Newer") < html.index("Older")
    assert "New: <strong>2</strong>" in html
    only = browser.get(QUEUE, {"source": "mail"}).content.decode()
    assert f"#{newer.pk} Newer" in only and f"#{older.pk} Older" not in only
    assert f"#{newer.pk}" in browser.get(QUEUE, {"type": "phishing"}).content.decode()
    with_values = browser.get(QUEUE, {"has_observables": "yes"}).content.decode()
    assert f"#{newer.pk} Newer" in with_values and f"#{older.pk} Older" not in with_values
    by_value = browser.get(QUEUE, {"observable": "evil.example"}).content.decode()
    assert f"#{newer.pk} Newer" in by_value and f"#{older.pk} Older" not in by_value
    assert browser.get(QUEUE, {"severity": "extreme"}).status_code == 400


def test_reporters_have_no_queue(client, reporter):
    sign_in(client, reporter)
    alert = send(reporter, title="Mine")
    assert client.get(QUEUE).status_code == 403
    assert client.get(f"/intake/{alert.pk}/").status_code == 403


def test_bulk_acknowledge_and_ignore_with_a_reason(browser, responder):
    alerts = [send(responder, title=f"Alert {n}") for n in range(3)]
    response = browser.post(BULK, {"action": "acknowledge", "alerts": [a.pk for a in alerts[:2]]})
    assert response.status_code == 302
    assert sorted(Alert.objects.values_list("status", flat=True)) == [
        "acknowledged",
        "acknowledged",
        "new",
    ]
    with writes_nothing():
        refused = browser.post(BULK, {"action": "ignore", "alerts": [alerts[2].pk]})
    assert refused.status_code == 422
    assert "Say why" in refused.content.decode()
    browser.post(BULK, {"action": "ignore", "alerts": [alerts[2].pk], "reason": "scanner"})
    alerts[2].refresh_from_db()
    assert (alerts[2].status, alerts[2].ignore_reason) == ("ignored", "scanner")


def test_bulk_escalate_files_one_incident_with_every_observable(browser, responder):
    first = send(responder, title="Beacon", severity="medium", observables=[("ipv4", "192.0.2.1")])
    second = send(responder, title="Dropper", severity="critical", observables=[("md5", "a" * 32)])
    response = browser.post(BULK, {"action": "escalate", "alerts": [first.pk, second.pk]})
    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/incidents/{incident.pk}/"
    assert incident.severity == "critical"
    assert set(incident.observables.values_list("normalized_value", flat=True)) == {
        "192.0.2.1",
        "a" * 32,
    }
    assert set(Alert.objects.values_list("status", "incident")) == {("escalated", incident.pk)}


def test_bulk_merge_by_reference_and_out_of_sight_is_404(browser, responder, make_member):
    incident = IncidentFactory(reporter=responder)
    hidden = IncidentFactory(reporter=make_member("lead", username="l2"), restricted=True)
    alert = send(responder, title="Joins")
    with writes_nothing():
        refused = browser.post(
            BULK, {"action": "merge", "alerts": [alert.pk], "incident": hidden.reference}
        )
    assert refused.status_code == 404
    response = browser.post(
        BULK, {"action": "merge", "alerts": [alert.pk], "incident": incident.reference}
    )
    assert response.status_code == 302
    alert.refresh_from_db()
    assert (alert.status, alert.incident_id) == (AlertStatus.MERGED, incident.pk)
    # Again: a merged alert cannot be merged twice.
    again = browser.post(BULK, {"action": "merge", "alerts": [alert.pk], "incident": incident.pk})
    assert again.status_code == 409


def test_an_unknown_alert_in_the_selection_is_404(browser, responder):
    alert = send(responder, title="Real")
    with writes_nothing():
        response = browser.post(BULK, {"action": "acknowledge", "alerts": [alert.pk, 999999]})
    assert response.status_code == 404


def test_the_alert_page_shows_raw_payload_as_text_and_suggestions_in_sight(
    browser, responder, make_member
):
    lead = make_member("lead", username="l3")
    seen = IncidentFactory(reporter=responder)
    hidden = IncidentFactory(reporter=lead, restricted=True)
    add(seen, responder, "evil.example")
    add(hidden, lead, "evil.example")
    other = send(responder, title="Other", observables=[("domain", "evil.example")])
    alert = send(
        responder,
        title="Payload",
        raw='{"x": "<script>alert(1)</script>"}',
        observables=[("domain", "evil[.]example")],
    )
    html = browser.get(f"/intake/{alert.pk}/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html
    assert seen.reference in html
    assert hidden.reference not in html
    assert f"#{other.pk} Other" in html


def test_unmerge_from_the_alert_page(browser, responder):
    incident = IncidentFactory(reporter=responder)
    alert = send(responder, title="Back out", observables=[("ipv4", "192.0.2.9")])
    browser.post(BULK, {"action": "merge", "alerts": [alert.pk], "incident": incident.pk})
    assert incident.observables.count() == 1
    response = browser.post(f"/intake/{alert.pk}/unmerge/", {"reason": "wrong incident"})
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACKNOWLEDGED and alert.incident is None
    assert incident.observables.count() == 0


def test_unmerge_keeps_what_a_person_worked_on(browser, responder):
    from observables.services import observable_update

    incident = IncidentFactory(reporter=responder)
    alert = send(responder, title="Back out", observables=[("ipv4", "192.0.2.9")])
    browser.post(BULK, {"action": "merge", "alerts": [alert.pk], "incident": incident.pk})
    observable_update(observable=incident.observables.get(), actor=responder, is_ioc=True)
    browser.post(f"/intake/{alert.pk}/unmerge/")
    assert incident.observables.count() == 1


def test_the_counts_follow_each_committed_write(
    browser, responder, django_capture_on_commit_callbacks
):
    send(responder, title="First")
    assert "New: <strong>1</strong>" in browser.get(QUEUE).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        second = send(responder, title="Second")
    html = browser.get(QUEUE).content.decode()
    assert "New: <strong>2</strong>" in html and "2 alerts" in html
    with django_capture_on_commit_callbacks(execute=True):
        browser.post(BULK, {"action": "acknowledge", "alerts": [second.pk]})
    html = browser.get(QUEUE, {"status": "new"}).content.decode()
    assert "Acknowledged: <strong>1</strong>" in html
    assert "1 alert matching" in html and "#" + str(second.pk) + " Second" not in html
