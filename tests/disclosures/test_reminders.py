"""Deadline reminders: at half-time, 24 h and 6 h before and when overdue, each once,
to the crew, leads and managers who may see the incident; with a real worker too."""

import datetime as dt

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from accounts.roles import Role
from disclosures import services
from disclosures.deadlines import deadlines_for
from disclosures.models import Audience, Regime, ReminderSent
from disclosures.reminders import reminder_points, reminders_send
from disclosures.tasks import send_disclosure_reminders
from incidents import services as incident_services
from notifications.models import DeliveryStatus, Notification
from tests.conftest import wait_for

AWARE = dt.datetime(2025, 3, 3, 10, 0, tzinfo=dt.UTC)


def _names(points):
    return [(p.name, p.at) for p in points]


def test_default_points_of_a_72_hour_clock():
    (gdpr,) = deadlines_for(regime=Regime.GDPR_ART33, aware_at=AWARE)
    assert _names(reminder_points(gdpr)) == [
        ("half", AWARE + dt.timedelta(hours=36)),
        ("24h", AWARE + dt.timedelta(hours=48)),
        ("6h", AWARE + dt.timedelta(hours=66)),
        ("overdue", AWARE + dt.timedelta(hours=72)),
    ]


def test_points_before_the_clock_starts_are_left_out():
    early_warning = deadlines_for(regime=Regime.NIS2, aware_at=AWARE)[0]
    assert [p.name for p in reminder_points(early_warning)] == ["half", "6h", "overdue"]


def test_points_are_configurable(settings):
    settings.DISCLOSURE_REMINDER_POINTS = ["12h", "overdue"]
    (gdpr,) = deadlines_for(regime=Regime.GDPR_ART33, aware_at=AWARE)
    assert [p.name for p in reminder_points(gdpr)] == ["12h", "overdue"]
    settings.DISCLOSURE_REMINDER_POINTS = ["soon"]
    with pytest.raises(ImproperlyConfigured):
        reminder_points(gdpr)


@pytest.fixture
def late_notice(make_incident, responder):
    incident = make_incident(reporter=responder, aware_at=timezone.now() - dt.timedelta(hours=40))
    return services.disclosure_create(
        incident=incident, actor=responder, audience=Audience.REGULATOR, regime=Regime.GDPR_ART33
    )


@pytest.mark.django_db
def test_half_time_reminder_goes_to_crew_leads_and_managers_once(
    late_notice, lead, manager, make_member, auditor
):
    crew = make_member(Role.RESPONDER, username="crew-member")
    incident_services.crew_add(incident=late_notice.incident, actor=lead, user=crew)
    Notification.objects.all().delete()

    assert reminders_send() == 1
    assert reminders_send() == 0

    assert list(ReminderSent.objects.values_list("deadline", "point")) == [
        ("gdpr_art33_notification", "half")
    ]
    recipients = set(Notification.objects.values_list("recipient__username", flat=True))
    assert recipients == {"lea", "mona", "crew-member"}
    assert "is due in" in Notification.objects.first().subject


@pytest.mark.django_db
def test_points_missed_while_down_are_recorded_and_told_once(late_notice, lead):
    Notification.objects.all().delete()
    assert reminders_send(now=timezone.now() + dt.timedelta(hours=40)) == 4
    assert ReminderSent.objects.count() == 4
    assert Notification.objects.filter(recipient=lead).count() == 1
    assert "overdue" in Notification.objects.get(recipient=lead).subject


@pytest.mark.django_db
def test_published_and_withdrawn_notices_are_not_reminded(late_notice, responder, lead):
    services.disclosure_withdraw(disclosure=late_notice, actor=responder)
    assert reminders_send() == 0


@pytest.mark.django_db
def test_restricted_incidents_are_reminded_only_to_those_who_see_them(make_incident, lead, manager):
    incident = make_incident(
        reporter=lead, restricted=True, aware_at=timezone.now() - dt.timedelta(hours=40)
    )
    services.disclosure_create(
        incident=incident, actor=lead, audience=Audience.REGULATOR, regime=Regime.GDPR_ART33
    )
    Notification.objects.all().delete()
    reminders_send()
    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {"lea"}


@pytest.mark.worker
def test_running_the_reminder_task_twice_sends_once_with_a_real_worker(
    celery_worker, make_member, make_incident
):
    lead = make_member(Role.LEAD, username="duty-lead", email="duty-lead@example.org")
    responder = make_member(Role.RESPONDER, username="drafter", email="")
    incident = make_incident(reporter=responder, aware_at=timezone.now() - dt.timedelta(hours=40))
    # The worker tells the lead of the filing first (a task after commit).
    wait_for(lambda: not type(incident).objects.filter(pk=incident.pk, leads_notice_owed=True))
    disclosure = services.disclosure_create(
        incident=incident, actor=responder, audience=Audience.REGULATOR, regime=Regime.GDPR_ART33
    )
    filed = set(Notification.objects.values_list("pk", flat=True))

    send_disclosure_reminders.delay()
    send_disclosure_reminders.delay()

    # One worker, one queue: the deliveries the first run queued come after the second run.
    reminder = wait_for(
        lambda: (
            Notification.objects.exclude(pk__in=filed)
            .filter(recipient=lead, status=DeliveryStatus.SENT)
            .first()
        )
    )
    assert incident.reference in reminder.subject
    wait_for(lambda: not Notification.objects.filter(status=DeliveryStatus.PENDING).exists())
    assert Notification.objects.exclude(pk__in=filed).filter(recipient=lead).count() == 1
    assert ReminderSent.objects.filter(disclosure=disclosure).count() == 1
    mails = [path.read_text() for path in celery_worker.mail_dir.iterdir()]
    assert sum(f"/disclosures/{disclosure.pk}/" in text for text in mails) == 1


def test_celery_beat_runs_the_reminder_task(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["disclosures-send-reminders"]
    assert entry["task"] == send_disclosure_reminders.name
    assert entry["schedule"] == settings.DISCLOSURE_REMINDER_INTERVAL > 0
