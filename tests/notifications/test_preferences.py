"""Who gets what: everyone the sender picks, unless they turned that event off."""

import pytest

from accounts.roles import Role
from audit.monitor import Sample, resource_check
from notifications.models import Notification, WebhookEvent
from notifications.services import notification_preference_set, notification_queue

pytestmark = pytest.mark.django_db


def test_a_person_who_turned_an_event_off_is_left_out(make_member):
    keen = make_member(Role.LEAD, username="keen")
    quiet = make_member(Role.LEAD, username="quiet")
    notification_preference_set(user=quiet, event="resource.spike", email=False)

    queued = notification_queue(
        recipients=[keen, quiet], subject="Spike", body="b", event="resource.spike"
    )

    assert [n.recipient for n in queued] == [keen]


def test_turning_one_event_off_keeps_the_others_and_can_be_undone(make_member):
    person = make_member(Role.LEAD)
    notification_preference_set(user=person, event="resource.spike", email=False)

    assert notification_queue(
        recipients=[person], subject="a", body="b", event="audit.chain_broken"
    )
    assert notification_queue(recipients=[person], subject="a", body="b")
    notification_preference_set(user=person, event="resource.spike", email=True)
    assert notification_queue(recipients=[person], subject="a", body="b", event="resource.spike")


def test_a_spike_alert_respects_the_preference(make_member, settings):
    settings.RESOURCE_SPIKE_SECONDS = 0
    make_member(Role.LEAD, username="keen")
    quiet = make_member(Role.AUDITOR, username="quiet")
    notification_preference_set(user=quiet, event=WebhookEvent.RESOURCE_SPIKE, email=False)

    resource_check(Sample(99, 10, 1, 1), now=0)

    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {"keen"}
