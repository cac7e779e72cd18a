"""A published notice's clocks stop (met, or missed and by how much) on its page and on
the overview; NIS2's final report, which starts with the notification, runs on. An
integrity failure can be acknowledged, by each person for themselves. Overdue tasks say
so on the overview and in the report."""

import datetime as dt

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from dashboard.views import _clocks
from disclosures import services as disclosure_services
from disclosures.deadlines import Deadline
from disclosures.views.common import countdown
from evidence.models import IntegrityAcknowledgement, Status
from incidents import services as incident_services
from tests.conftest import sign_in
from tests.factories import fill_blanks

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


def deadline(start, due):
    return Deadline("gdpr", "GDPR Art. 33 notification (72 h)", start, due)


def test_a_notice_sent_in_time_is_met_and_stops_counting():
    row = countdown(deadline(NOW - 10 * HOUR, NOW + 62 * HOUR), NOW + 500 * HOUR, sent_at=NOW)
    assert (row["state"], row["text"]) == ("met", "met: sent 2 d 14 h 0 min before the deadline")


def test_a_notice_sent_late_says_how_late():
    row = countdown(deadline(NOW - 100 * HOUR, NOW - 28 * HOUR), NOW + 500 * HOUR, sent_at=NOW)
    assert (row["state"], row["text"]) == ("late", "missed: sent 1 d 4 h 0 min late")


def test_without_a_fixed_time_it_says_when_it_went_out():
    row = countdown(deadline(NOW - 5 * HOUR, None), NOW + 500 * HOUR, sent_at=NOW)
    assert (row["state"], row["text"]) == ("met", "sent 5 h 0 min after awareness")


def test_a_clock_that_starts_with_the_publication_runs_on():
    final_report = Deadline("nis2_final_report", "NIS2 final report", NOW, NOW + 720 * HOUR)
    row = countdown(final_report, NOW + HOUR, sent_at=NOW)
    assert row["state"] == "running"
    assert row["text"] == "29 d 23 h 0 min left"


def publish(incident, lead, manager, regime="gdpr_art33"):
    disclosure = disclosure_services.disclosure_create(
        incident=incident, actor=lead, audience="regulator", regime=regime
    )
    fill_blanks(disclosure, lead)
    disclosure_services.disclosure_submit(disclosure=disclosure, actor=lead)
    disclosure_services.disclosure_approve(disclosure=disclosure, actor=manager)
    disclosure_services.disclosure_publish(
        disclosure=disclosure,
        actor=manager,
        channel="regulator portal",
        recipients="the supervisory authority",
        late_reason="The forensic report came late.",
    )
    disclosure.refresh_from_db()
    return disclosure


@pytest.fixture
def late_notice(make_incident, lead, manager):
    incident = make_incident(reporter=lead, aware_at=timezone.now() - 100 * HOUR)
    return publish(incident, lead, manager)


def test_the_disclosure_page_shows_the_clock_stopped(client, lead, late_notice):
    sign_in(client, lead)
    page = client.get(f"/disclosures/{late_notice.pk}/").content.decode()
    assert "missed: sent 1 d 4 h" in page
    assert "overdue by" not in page
    assert "went out" in page


def test_the_overview_shows_a_stopped_clock_for_a_week(client, lead, late_notice):
    sign_in(client, lead)
    page = client.get("/").content.decode()
    assert "missed: sent 1 d 4 h" in page
    assert "overdue by" not in page
    later = timezone.now() + dt.timedelta(days=8)
    assert [row for row in _clocks(lead, later) if row["disclosure"] == late_notice] == []


def test_nis2_final_report_runs_on_the_overview_after_the_notification(
    make_incident, lead, manager
):
    incident = make_incident(reporter=lead, aware_at=timezone.now() - 10 * HOUR)
    notice = publish(incident, lead, manager, regime="nis2")
    now = timezone.now()
    rows = {row["deadline"].name: row for row in _clocks(lead, now) if row["disclosure"] == notice}
    assert rows["nis2_early_warning"]["state"] == "met"
    assert rows["nis2_notification"]["state"] == "met"
    assert rows["nis2_final_report"]["state"] == "running"
    later = {
        row["deadline"].name
        for row in _clocks(lead, now + dt.timedelta(days=8))
        if row["disclosure"] == notice
    }
    assert later == {"nis2_final_report"}


# --- Overdue tasks ---------------------------------------------------------------------


def test_an_overdue_task_is_marked_overdue_on_the_overview_and_in_the_report(
    client, lead, incident
):
    incident_services.task_add(
        incident=incident,
        actor=lead,
        title="Rotate the VPN keys",
        assignee=lead,
        due_date=timezone.localdate() - dt.timedelta(days=2),
    )
    sign_in(client, lead)
    home = client.get("/").content.decode()
    assert "(overdue)" in home
    assert 'class="badge badge-overdue"' in home
    report = client.get(f"/incidents/{incident.pk}/report/").content.decode()
    assert "<strong>(overdue)</strong>" in report


# --- Acknowledging an integrity failure -------------------------------------------------


@pytest.fixture
def failure(incident, lead, store_evidence):
    item = store_evidence(incident, lead, b"tampered", sender_sha256="0" * 64)
    assert item.status == Status.INTEGRITY_FAILURE
    return item


def test_acknowledging_removes_it_from_my_card_only(client, lead, make_member, failure, incident):
    other_lead = make_member("lead", username="other-lead")
    sign_in(client, lead)
    assert client.get("/").context["integrity_failures"].total == 1

    response = client.post(f"/integrity/{failure.pk}/acknowledge/")

    assert response.status_code == 302
    home = client.get("/")
    assert home.context["integrity_failures"].total == 0
    assert home.context["integrity_failures"].acknowledged == 1
    assert "You acknowledged 1" in home.content.decode()
    failure.refresh_from_db()
    assert failure.status == Status.INTEGRITY_FAILURE
    event = AuditEvent.objects.get(action="evidence.integrity_failure_acknowledged")
    assert (event.actor, event.target_id) == (lead, str(failure.pk))
    sign_in(client, other_lead)
    assert client.get("/").context["integrity_failures"].total == 1


def test_acknowledging_twice_changes_nothing(client, lead, failure):
    sign_in(client, lead)
    client.post(f"/integrity/{failure.pk}/acknowledge/")
    client.post(f"/integrity/{failure.pk}/acknowledge/")
    assert IntegrityAcknowledgement.objects.count() == 1
    assert AuditEvent.objects.filter(action="evidence.integrity_failure_acknowledged").count() == 1


def test_acknowledging_is_a_post_for_what_i_see_that_failed(
    client, lead, make_member, failure, incident, store_evidence
):
    sign_in(client, lead)
    assert client.get(f"/integrity/{failure.pk}/acknowledge/").status_code == 405
    fine = store_evidence(incident, lead, b"fine")
    refused = client.post(f"/integrity/{fine.pk}/acknowledge/", follow=True)
    assert "has not failed its integrity check" in refused.content.decode()
    outsider = make_member("responder", username="outsider")
    incident.restricted = True
    incident.save()
    sign_in(client, outsider)
    assert client.post(f"/integrity/{failure.pk}/acknowledge/").status_code == 404
    assert not IntegrityAcknowledgement.objects.exists()
