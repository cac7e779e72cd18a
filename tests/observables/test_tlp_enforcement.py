"""TLP:RED never leaves for people outside the incident's crew: not in the printable
report (observables are listed there with their labels, red ones only for the crew and
leads), not in e-mails or webhooks (which carry no observable at all). Exports:
tests/observables/test_sharing.py."""

from pathlib import Path

import pytest
from django.conf import settings

from audit.alerts import chain_broken
from audit.models import AuditCheckpoint, AuditEvent
from incidents.services import crew_add, incident_update
from notifications.models import Notification, WebhookDelivery, WebhookEndpoint, WebhookEvent
from observables.services import observable_delete
from tests.conftest import sign_in
from tests.observables.conftest import add
from tests.writes import writes_nothing

pytestmark = pytest.mark.django_db
RED = "red-c2.example"
AMBER = "amber-cdn.example"


@pytest.fixture
def marked(incident, lead):
    add(incident, lead, RED, tlp="red", is_ioc=True)
    add(incident, lead, AMBER)
    return incident


def report(client, user, incident):
    sign_in(client, user)
    response = client.get(f"/incidents/{incident.pk}/report/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_report_lists_observables_with_their_labels_and_red_only_for_leads(
    client, marked, lead
):
    html = report(client, lead, marked)
    assert "7. Observables" in html
    assert RED in html and AMBER in html
    assert "TLP:RED" in html and "PAP:AMBER" in html


@pytest.mark.parametrize("role", ["manager", "legal", "auditor"])
def test_the_report_leaves_red_out_for_readers_off_the_crew(request, client, marked, role):
    html = report(client, request.getfixturevalue(role), marked)
    assert AMBER in html
    assert RED not in html
    assert "1 observable marked TLP:RED is left out" in html


def test_the_report_gives_red_to_the_crew(client, marked, lead, manager):
    crew_add(incident=marked, actor=lead, user=manager)
    assert RED in report(client, manager, marked)


def test_no_email_template_carries_observables():
    """Messages are templates (CONVENTIONS 8c): none of them is given observables, so
    no marking can be broken by e-mail. A template that starts to must filter them
    through observables.sharing.tlp first (and change this test)."""
    folder = Path(settings.BASE_DIR) / "templates" / "email"
    assert folder.is_dir()
    for template in folder.iterdir():
        assert "observable" not in template.read_text().lower(), template.name


def test_notifications_and_webhooks_about_the_incident_never_carry_a_red_value(
    marked, lead, make_member
):
    WebhookEndpoint.objects.create(
        name="SOAR", url="https://soar.example/hook", secret="s", events=list(WebhookEvent.values)
    )
    incident_update(incident=marked, actor=lead, severity="critical")
    crew_add(incident=marked, actor=lead, user=make_member(username="newcomer"))
    red = marked.observables.get(normalized_value=RED)
    observable_delete(observable=red, actor=lead, reason=f"{RED} was a test value")
    deleted = AuditEvent.objects.get(action="observable.deleted")
    chain_broken(AuditCheckpoint.objects.create(ok=False, verified_through_id=deleted.pk))
    notifications = list(Notification.objects.all())
    deliveries = list(WebhookDelivery.objects.all())
    assert notifications and deliveries  # the events did send something
    for notification in notifications:
        assert RED not in f"{notification.subject} {notification.body} {notification.html_body}"
    for delivery in deliveries:
        assert RED not in str(delivery.payload())


def test_adding_a_red_value_again_with_a_lower_marking_keeps_it_red(marked, lead):
    (again,) = add(marked, lead, RED, tlp="clear", pap="clear")
    again.refresh_from_db()
    assert (again.tlp, again.pap) == ("red", "amber")
    (amber,) = add(marked, lead, AMBER, tlp="red")
    amber.refresh_from_db()
    assert amber.tlp == "red"  # tightening is always allowed


def test_only_the_crew_and_leads_lower_a_red_marking(marked, lead, make_member):
    from django.core.exceptions import PermissionDenied

    from accounts.roles import Role
    from observables.models import Observable
    from observables.services import observable_update

    red = Observable.objects.get(incident=marked, normalized_value=RED)
    outsider = make_member(Role.RESPONDER, username="not-crew")
    with pytest.raises(PermissionDenied), writes_nothing():
        observable_update(observable=red, actor=outsider, tlp="clear")
    assert observable_update(observable=red, actor=outsider, is_ioc=False).tlp == "red"
    assert observable_update(observable=red, actor=lead, tlp="amber").tlp == "amber"
