"""In-app notifications (the bell): created for the same events, to the same people,
as the e-mails; read state per person; never revealing an incident out of sight."""

import pytest

from accounts.roles import Role
from incidents import services
from notifications.models import InAppNotification, Notification
from notifications.services import notification_preference_set
from tests.conftest import sign_in
from tests.writes import writes_nothing

pytestmark = pytest.mark.django_db


def filed(**fields):
    """File through the service, then tell the leads as the task does after commit."""
    incident = services.incident_file(**fields)
    services.incident_notify_leads_of_filing(incident_id=incident.pk)
    return incident


def inbox(user) -> list[InAppNotification]:
    return list(InAppNotification.objects.filter(recipient=user).order_by("id"))


def bell(client) -> str:
    """The bell's count as the navigation shows it."""
    body = client.get("/incidents/").content.decode()
    start = body.index('<span class="bell-count">') + len('<span class="bell-count">')
    return body[start : body.index("</span>", start)]


@pytest.fixture
def other_lead(make_member):
    return make_member(Role.LEAD, username="leif")


def test_an_event_mailed_to_someone_is_in_their_list_too(lead, other_lead):
    incident = filed(reporter=lead, title="Ransomware on a file server", severity="high")
    (mail,) = Notification.objects.filter(event="incident.filed")
    (entry,) = inbox(other_lead)
    assert entry.event == "incident.filed"
    assert mail.subject == f"[Cordon] {entry.subject}" and incident.reference in entry.subject
    assert entry.link == f"/incidents/{incident.pk}/"
    assert entry.read_at is None
    assert inbox(lead) == []  # the reporter is told neither way


def test_the_same_preferences_apply(lead, other_lead):
    notification_preference_set(user=other_lead, event="incident.filed", email=False)
    filed(reporter=lead, title="Phishing", severity="critical")
    assert inbox(other_lead) == []
    notification_preference_set(user=other_lead, event="incident.filed_any", email=True)
    filed(reporter=lead, title="Spam", severity="low")
    assert [entry.event for entry in inbox(other_lead)] == ["incident.filed_any"]


def test_messages_without_an_event_are_not_in_the_list(lead):
    from notifications.services import notification_queue

    notification_queue(recipients=[lead], subject="Your invitation", body="Link")
    assert inbox(lead) == []


def test_the_bell_counts_unread_and_the_page_lists_them(client, lead, other_lead):
    first = filed(reporter=lead, title="Web shell", severity="high")
    filed(reporter=lead, title="Botnet", severity="critical")
    sign_in(client, other_lead)
    assert bell(client) == "2"
    body = client.get("/notifications/").content.decode()
    assert first.reference in body and "2 unread" in body


def test_opening_marks_read_and_goes_to_the_page(client, lead, other_lead):
    incident = filed(reporter=lead, title="Web shell", severity="high")
    (entry,) = inbox(other_lead)
    sign_in(client, other_lead)
    response = client.post(f"/notifications/{entry.pk}/open/")
    assert response.status_code == 302
    assert response["Location"] == f"/incidents/{incident.pk}/"
    entry.refresh_from_db()
    assert entry.read_at is not None
    assert bell(client) == "0"


def test_read_state_is_per_person(client, lead, other_lead, make_member):
    third = make_member(Role.LEAD, username="lina")
    filed(reporter=lead, title="Web shell", severity="high")
    sign_in(client, other_lead)
    (mine,) = inbox(other_lead)
    client.post(f"/notifications/{mine.pk}/read/")
    assert bell(client) == "0"
    (theirs,) = inbox(third)
    assert theirs.read_at is None
    # Someone else's notification cannot be read, opened or marked: 404, nothing written.
    with writes_nothing():
        assert client.post(f"/notifications/{theirs.pk}/read/").status_code == 404
        assert client.post(f"/notifications/{theirs.pk}/open/").status_code == 404


def test_mark_all_read(client, lead, other_lead):
    for title in ("One", "Two", "Three"):
        filed(reporter=lead, title=title, severity="high")
    sign_in(client, other_lead)
    assert bell(client) == "3"
    response = client.post("/notifications/read-all/")
    assert response.status_code == 302
    assert bell(client) == "0"
    assert all(entry.read_at for entry in inbox(other_lead))


def test_a_notification_never_reveals_an_incident_out_of_sight(client, lead, responder):
    incident = filed(reporter=lead, title="Insider at payroll", severity="high", restricted=True)
    services.crew_add(incident=incident, actor=lead, user=responder)
    (entry,) = inbox(responder)  # incident.crew_added
    sign_in(client, responder)
    assert bell(client) == "1"
    services.crew_remove(member=incident.crew.get(user=responder), actor=lead)
    assert bell(client) == "0"
    body = client.get("/notifications/").content.decode()
    assert incident.reference not in body
    with writes_nothing():
        assert client.post(f"/notifications/{entry.pk}/open/").status_code == 404


def test_pages_refuse_get_for_writes(client, lead):
    sign_in(client, lead)
    assert client.get("/notifications/read-all/").status_code == 405


def test_anonymous_people_are_sent_to_sign_in(client):
    response = client.get("/notifications/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_only_the_recipient_marks_a_notification_read(lead, responder):
    from django.core.exceptions import PermissionDenied

    from notifications.inapp import inapp_mark_read
    from notifications.models import InAppNotification

    row = InAppNotification.objects.create(recipient=lead, event="incident.filed", subject="s")
    with pytest.raises(PermissionDenied):
        inapp_mark_read(notification=row, actor=responder)
    row.refresh_from_db()
    assert row.read_at is None
    assert inapp_mark_read(notification=row, actor=lead).read_at is not None
