"""Rules around the review found by review: the close gate cannot be sidestepped by
re-rating a closed incident, reviews are CSIRT material (not for reporters), and
incident times have a plausible lower bound."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from incidents import services
from incidents.lifecycle import ReviewRequired, Status
from incidents.models import ActionItem, Incident, ReviewSectionKind
from tests.conftest import sign_in
from tests.incidents.test_review import NEXT_WEEK, section, walk_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewed(make_incident, reporter, responder, lead):
    """A high incident a reporter filed, now in review, with one action item."""
    incident = make_incident(reporter=reporter, title="Phished payroll account")
    incident = walk_to(incident, Status.REVIEW, lead)
    services.review_section_update(
        section=section(incident, ReviewSectionKind.AUTHENTICATION),
        actor=lead,
        body="VPN accepts passwords alone",
    )
    services.action_item_add(
        section=section(incident, ReviewSectionKind.AUTHENTICATION),
        actor=lead,
        title="MFA on the VPN",
        owner=responder,
        due_date=NEXT_WEEK,
    )
    return incident


def test_a_closed_incident_cannot_be_re_rated_to_sidestep_the_review(reviewed, lead):
    services.incident_update(incident=reviewed, actor=lead, severity="medium")
    closed = services.incident_change_status(incident=reviewed, actor=lead, status=Status.CLOSED)

    with pytest.raises(ValidationError, match="move it back to review"):
        services.incident_update(incident=closed, actor=lead, severity="high")

    assert Incident.objects.get(pk=reviewed.pk).severity == "medium"


def test_a_high_incident_still_needs_its_review_to_close(reviewed, lead):
    with pytest.raises(ReviewRequired):
        services.incident_change_status(incident=reviewed, actor=lead, status=Status.CLOSED)


def test_the_reporter_sees_the_incident_but_not_its_review(client, reviewed, reporter):
    sign_in(client, reporter)
    detail = client.get(f"/incidents/{reviewed.pk}/")
    assert detail.status_code == 200
    assert f"/incidents/{reviewed.pk}/review/" not in detail.content.decode()
    assert client.get(f"/incidents/{reviewed.pk}/review/").status_code == 404
    tracker = client.get("/incidents/action-items/")
    assert "MFA on the VPN" not in tracker.content.decode()


def test_a_responder_reads_the_review_and_the_tracker(client, reviewed, responder):
    sign_in(client, responder)
    page = client.get(f"/incidents/{reviewed.pk}/review/")
    assert page.status_code == 200
    assert "VPN accepts passwords alone" in page.content.decode()
    assert "MFA on the VPN" in client.get("/incidents/action-items/").content.decode()


def test_a_reporter_cannot_own_an_action_item(reviewed, reporter, lead):
    with pytest.raises(ValidationError, match="CSIRT member"):
        services.action_item_add(
            section=section(reviewed, ReviewSectionKind.CODE_SECURITY),
            actor=lead,
            title="Audit the codebase",
            owner=reporter,
            due_date=NEXT_WEEK,
        )
    assert ActionItem.objects.count() == 1


def test_a_mistyped_year_is_refused_when_filing(token_client, responder):
    client = token_client(responder, "incidents:write")
    response = client.post(
        "/api/v1/incidents/",
        {"title": "Odd login", "severity": "low", "aware_at": "0999-01-01T00:00:00Z"},
        format="json",
    )
    assert response.status_code == 400
    assert "1970" in str(response.json()["aware_at"])
    assert not Incident.objects.filter(title="Odd login").exists()


def test_1970_itself_is_accepted(responder):
    incident = services.incident_file(
        reporter=responder,
        title="Legacy mainframe",
        severity="low",
        occurred_at=dt.datetime(1970, 1, 1, tzinfo=dt.UTC),
    )
    assert incident.occurred_at.year == 1970


# --- Editing an action item, and the tracker's owner filter -------------------------------


def edit_url(incident, item):
    return f"/incidents/{incident.pk}/review/action-items/{item.pk}/edit/"


def test_an_editor_changes_owner_due_date_and_ticket(client, reviewed, lead, make_member):
    item = ActionItem.objects.get()
    new_owner = make_member("responder", username="rosa")
    sign_in(client, lead)
    later = NEXT_WEEK + dt.timedelta(days=7)
    response = client.post(
        edit_url(reviewed, item),
        {
            "owner": "rosa",
            "due_date": later.isoformat(),
            "ticket_url": "https://tickets.example.org/SEC-12",
        },
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.owner, item.due_date, item.ticket_url) == (
        new_owner,
        later,
        "https://tickets.example.org/SEC-12",
    )
    assert new_owner.notifications.filter(subject__contains=reviewed.reference).exists()
    from audit.models import AuditEvent

    assert AuditEvent.objects.filter(action="review.action_item_updated").exists()


def test_on_a_completed_review_only_the_ticket_changes(client, reviewed, lead, make_member):
    from tests.incidents.review_helpers import complete_review

    item = ActionItem.objects.get()
    complete_review(reviewed, lead)
    make_member("responder", username="rosa")
    sign_in(client, lead)
    ticket = {"owner": item.owner.username, "due_date": item.due_date.isoformat()}
    response = client.post(
        edit_url(reviewed, item), {**ticket, "ticket_url": "https://tickets.example.org/9"}
    )
    assert response.status_code == 302
    refused = client.post(edit_url(reviewed, item), {**ticket, "owner": "rosa"})
    assert refused.status_code == 422
    assert "completed" in refused.content.decode()
    item.refresh_from_db()
    assert item.ticket_url == "https://tickets.example.org/9"
    assert item.owner.username != "rosa"


def test_the_owner_cannot_reassign_and_outsiders_get_404(client, reviewed, responder, reporter):
    item = ActionItem.objects.get()  # owned by the responder, who may not edit the review
    sign_in(client, reporter)
    data = {"owner": "x", "due_date": NEXT_WEEK.isoformat()}
    assert client.post(edit_url(reviewed, item), data).status_code == 404
    client.logout()
    sign_in(client, responder)
    status = client.post(edit_url(reviewed, item), data).status_code
    item.refresh_from_db()
    assert status in (403, 422) and item.owner == responder


def test_the_tracker_filters_by_user_name(client, reviewed, lead, responder):
    sign_in(client, lead)
    mine = client.get("/incidents/action-items/", {"owner": responder.username})
    assert "MFA on the VPN" in mine.content.decode()
    others = client.get("/incidents/action-items/", {"owner": lead.username})
    assert "MFA on the VPN" not in others.content.decode()
    # A name nobody has is no error (that would tell which names exist): no items.
    unknown = client.get("/incidents/action-items/", {"owner": "nobody-by-that-name"})
    assert unknown.status_code == 200
    assert "MFA on the VPN" not in unknown.content.decode()


def test_the_review_page_reads_the_same_number_of_queries_for_more_items(
    client, reviewed, lead, responder
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    sign_in(client, lead)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/incidents/{reviewed.pk}/review/").status_code == 200
        return len(ctx.captured_queries)

    one_item = queries()
    for n in range(5):
        services.action_item_add(
            section=section(reviewed, ReviewSectionKind.MONITORING),
            actor=lead,
            title=f"Alert on {n}",
            owner=responder,
            due_date=NEXT_WEEK,
        )
    assert queries() == one_item
    assert one_item <= 20
