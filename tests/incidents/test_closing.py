"""Closing an incident that leaves work open (tasks not done, systems still isolated or
impacted) warns on the page and asks for confirmation; with it, the incident closes."""

import pytest
from django.utils import timezone

from incidents import services
from incidents.lifecycle import ORDER, Status
from tests.conftest import sign_in
from tests.writes import writes_nothing

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def in_review(lead):
    incident = services.incident_file(reporter=lead, title="Lost laptop", severity="low")
    for status in ORDER[1 : ORDER.index(Status.REVIEW) + 1]:
        incident = services.incident_change_status(incident=incident, actor=lead, status=status)
    return incident


def close(client, incident, **extra):
    return client.post(f"/incidents/{incident.pk}/status/", {"status": "closed", **extra}, **HTMX)


def test_closing_with_open_work_warns_and_asks(client, lead, in_review):
    services.task_add(incident=in_review, actor=lead, title="Wipe the laptop remotely")
    system = services.system_add(
        incident=in_review, actor=lead, name="laptop-17", impact_start=timezone.now()
    )
    services.system_change_containment(system=system, actor=lead, state="isolated")
    sign_in(client, lead)
    with writes_nothing():
        response = close(client, in_review)
    assert response.status_code == 422
    body = response.content.decode()
    assert "1 open task" in body
    assert "still isolated or shut down: laptop-17" in body
    assert "impact not ended on laptop-17" in body
    assert 'name="close_anyway"' in body
    in_review.refresh_from_db()
    assert in_review.status == Status.REVIEW

    response = close(client, in_review, close_anyway="on")
    assert response.status_code == 200
    in_review.refresh_from_db()
    assert in_review.status == Status.CLOSED


def test_closing_with_nothing_open_needs_no_confirmation(client, lead, in_review):
    task = services.task_add(incident=in_review, actor=lead, title="Report to insurer")
    services.task_set_done(task=task, actor=lead, done=True)
    sign_in(client, lead)
    body = client.get(f"/incidents/{in_review.pk}/").content.decode()
    assert 'name="close_anyway"' not in body
    assert close(client, in_review).status_code == 200
    in_review.refresh_from_db()
    assert in_review.status == Status.CLOSED
