"""The blameless post-incident review (issue 7): created on entering review, its sections,
findings and action items, completion and the close gate, the page and the tracker."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.roles import Role
from audit.models import AuditEvent
from incidents import services
from incidents.lifecycle import ORDER, ReviewRequired, Status
from incidents.models import (
    ActionItem,
    ActionItemStatus,
    Finding,
    Incident,
    PostIncidentReview,
    ReviewSection,
    ReviewSectionKind,
    ReviewStatus,
)
from tests.conftest import sign_in
from tests.incidents.review_helpers import complete_review
from tests.incidents.test_views import assert_csp_safe

pytestmark = pytest.mark.django_db

API = "/api/v1/incidents/"
UNPROCESSABLE = 422
TODAY = timezone.localdate()
YESTERDAY = TODAY - dt.timedelta(days=1)
NEXT_WEEK = TODAY + dt.timedelta(days=7)


def walk_to(incident, status, actor):
    for step in ORDER[ORDER.index(incident.status) + 1 : ORDER.index(status) + 1]:
        incident = services.incident_change_status(incident=incident, actor=actor, status=step)
    return incident


def section(incident, kind) -> ReviewSection:
    return ReviewSection.objects.get(review__incident=incident, kind=kind)


def newest_event_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def actions_since(event_id) -> list[str]:
    return list(
        AuditEvent.objects.filter(id__gt=event_id)
        .exclude(action__startswith="model.")
        .exclude(action__startswith="http.")
        .values_list("action", flat=True)
    )


def row_counts() -> dict:
    return {
        "incident_status": list(Incident.objects.values_list("status", flat=True)),
        "reviews": PostIncidentReview.objects.count(),
        "completed": PostIncidentReview.objects.filter(status=ReviewStatus.COMPLETED).count(),
        "sections": list(ReviewSection.objects.values_list("body", flat=True)),
        "findings": Finding.objects.count(),
        "items": list(ActionItem.objects.values_list("status", "owner_id", "due_date")),
        "audit": AuditEvent.objects.exclude(action__startswith="http.").count(),
    }


@pytest.fixture
def in_review(make_incident, responder):
    incident = make_incident(
        reporter=responder,
        title="Web shell on www1",
        discovery_method="WAF alert on an odd POST",
        occurred_at=timezone.now() - dt.timedelta(hours=5),
        discovered_at=timezone.now() - dt.timedelta(hours=3),
        aware_at=timezone.now() - dt.timedelta(hours=1),
    )
    services.timeline_entry_add(
        incident=incident, actor=responder, body="Isolated www1\nfrom the network", kind="action"
    )
    return walk_to(incident, Status.REVIEW, responder)


@pytest.fixture
def lead_client(client, lead):
    sign_in(client, lead)
    return client


# --- Created on entering review ---------------------------------------------------


def test_entering_review_creates_every_section_in_order_with_the_timeline_prefilled(
    in_review, responder
):
    review = in_review.review
    assert review.status == ReviewStatus.DRAFT
    assert review.created_by == responder
    assert list(review.sections.values_list("kind", flat=True)) == ReviewSectionKind.values
    timeline = section(in_review, ReviewSectionKind.TIMELINE).body.splitlines()
    entries = list(in_review.timeline.order_by("occurred_at", "id"))
    assert len(timeline) == len(entries)
    assert timeline[0].endswith("Status change — Incident filed with severity high.")
    assert any(line.endswith("Action — Isolated www1 from the network") for line in timeline)
    assert timeline[-1].endswith("Status change — Status changed from Recovery to Review.")
    first = entries[0].occurred_at.astimezone(dt.UTC)
    assert timeline[0].startswith(f"{first:%Y-%m-%d %H:%M} UTC")


def test_the_detection_section_holds_the_discovery_method_and_phase_durations(in_review):
    body = section(in_review, ReviewSectionKind.DETECTION).body
    assert "How it was discovered: WAF alert on an odd POST" in body
    assert "Occurred → discovered: 2 h 0 min" in body
    assert "Discovered → aware: 2 h 0 min" in body
    assert "Aware → contained:" in body and "Aware → contained: not known yet" not in body
    assert "Aware → resolved: not known yet" in body  # resolved only when closed


def test_entering_review_is_audited_and_going_back_and_forth_keeps_the_review(in_review, responder):
    assert AuditEvent.objects.filter(action="review.started").count() == 1
    summary = section(in_review, ReviewSectionKind.SUMMARY)
    services.review_section_update(section=summary, actor=responder, body="Kept")
    review_id = in_review.review.pk
    incident = services.incident_change_status(
        incident=in_review, actor=responder, status=Status.RECOVERY, reason="More hosts"
    )
    services.incident_change_status(incident=incident, actor=responder, status=Status.REVIEW)
    assert PostIncidentReview.objects.get(incident=in_review).pk == review_id
    assert section(in_review, ReviewSectionKind.SUMMARY).body == "Kept"
    assert AuditEvent.objects.filter(action="review.started").count() == 1


def test_no_review_before_the_incident_reaches_review(incident, lead_client):
    assert not PostIncidentReview.objects.filter(incident=incident).exists()
    assert lead_client.get(f"/incidents/{incident.pk}/review/").status_code == 404


# --- The close gate ------------------------------------------------------------------


@pytest.mark.parametrize("severity", ["high", "critical"])
def test_closing_without_a_completed_review_is_409_over_the_api_and_writes_nothing(
    make_incident, responder, token_client, severity
):
    incident = walk_to(
        make_incident(reporter=responder, severity=severity), Status.REVIEW, responder
    )
    writer = token_client(responder)
    before = row_counts()
    response = writer.patch(
        f"{API}{incident.pk}/", {"status": "closed", "title": "Renamed"}, format="json"
    )
    assert response.status_code == 409
    detail = response.json()["detail"]
    assert f"Closing a {severity} incident needs a completed post-incident review" in detail
    assert f"/incidents/{incident.pk}/review/" in detail
    assert row_counts() == before
    incident.refresh_from_db()
    assert (incident.status, incident.title, incident.resolved_at) == (
        "review",
        incident.title,
        None,
    )


def test_closing_without_a_completed_review_shows_the_message_on_the_page(in_review, lead_client):
    before = row_counts()
    response = lead_client.post(f"/incidents/{in_review.pk}/status/", {"status": "closed"})
    assert response.status_code == 409  # an illegal state change, as in the API
    assert "needs a completed post-incident review" in response.content.decode()
    assert row_counts() == before


def test_a_draft_review_also_blocks_closing(in_review, responder):
    review = in_review.review
    services.review_section_update(
        section=review.sections.get(kind="summary"), actor=responder, body="x"
    )
    with pytest.raises(ReviewRequired):
        services.incident_change_status(incident=in_review, actor=responder, status="closed")


def test_closing_after_completing_the_review_is_allowed(in_review, responder, token_client):
    complete_review(in_review, responder)
    response = token_client(responder).patch(
        f"{API}{in_review.pk}/", {"status": "closed"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "closed"


@pytest.mark.parametrize("severity", ["low", "medium"])
def test_low_and_medium_incidents_close_without_a_review_by_default(
    make_incident, responder, lead_client, severity
):
    incident = walk_to(
        make_incident(reporter=responder, severity=severity), Status.REVIEW, responder
    )
    response = lead_client.post(f"/incidents/{incident.pk}/status/", {"status": "closed"})
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status == Status.CLOSED
    assert incident.review.status == ReviewStatus.DRAFT  # a review exists, just not needed


def test_the_setting_decides_which_severities_need_a_review(
    settings, make_incident, responder, token_client
):
    writer = token_client(responder)
    settings.REVIEW_REQUIRED_SEVERITIES = []
    high = walk_to(make_incident(reporter=responder, severity="high"), Status.REVIEW, responder)
    assert writer.patch(f"{API}{high.pk}/", {"status": "closed"}, format="json").status_code == 200
    settings.REVIEW_REQUIRED_SEVERITIES = ["low"]
    low = walk_to(make_incident(reporter=responder, severity="low"), Status.REVIEW, responder)
    assert writer.patch(f"{API}{low.pk}/", {"status": "closed"}, format="json").status_code == 409


def test_an_invalid_setting_is_refused_at_start_up():
    import os
    import subprocess
    import sys

    env = {**os.environ, "REVIEW_REQUIRED_SEVERITIES": "high,urgent"}
    result = subprocess.run(
        [sys.executable, "-c", "import config.settings"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "REVIEW_REQUIRED_SEVERITIES takes low, medium, high and critical" in result.stderr


def test_the_detail_page_links_the_review_and_hints_on_closing(in_review, lead_client):
    body = lead_client.get(f"/incidents/{in_review.pk}/").content.decode()
    assert f'href="/incidents/{in_review.pk}/review/"' in body
    assert "Closing this high incident needs a completed post-incident review" in body


# --- Completion ------------------------------------------------------------------------


def test_completing_with_an_empty_summary_is_refused_and_changes_nothing(in_review, responder):
    services.review_section_update(
        section=section(in_review, ReviewSectionKind.ROOT_CAUSE), actor=responder, body="No WAF"
    )
    before = row_counts()
    with pytest.raises(ValidationError) as refused:
        services.review_complete(review=in_review.review, actor=responder)
    assert "summary" in refused.value.message_dict
    assert "root_cause" not in refused.value.message_dict
    assert row_counts() == before


def test_completing_over_http_with_blank_sections_says_what_is_missing(in_review, lead_client):
    services.review_section_update(
        section=section(in_review, ReviewSectionKind.SUMMARY), actor=in_review.reporter, body="  "
    )
    before = row_counts()
    response = lead_client.post(f"/incidents/{in_review.pk}/review/complete/")
    assert response.status_code == UNPROCESSABLE
    body = response.content.decode()
    assert "Write the summary before completing the review." in body
    assert "Write the root cause and contributing factors before completing" in body
    assert row_counts() == before


def test_a_completed_review_is_read_only_until_reopened(in_review, responder, lead):
    complete_review(in_review, responder)
    summary = section(in_review, ReviewSectionKind.SUMMARY)
    with pytest.raises(ValidationError, match="read-only"):
        services.review_section_update(section=summary, actor=lead, body="Changed")
    with pytest.raises(ValidationError, match="read-only"):
        services.finding_add(section=summary, actor=lead, body="Late finding")
    with pytest.raises(ValidationError, match="read-only"):
        services.action_item_add(
            section=summary, actor=lead, title="Late", owner=lead, due_date=NEXT_WEEK
        )
    services.review_reopen(review=in_review.review, actor=lead)
    services.review_section_update(section=summary, actor=lead, body="Changed")
    assert section(in_review, ReviewSectionKind.SUMMARY).body == "Changed"
    review = PostIncidentReview.objects.get(incident=in_review)
    assert (review.status, review.completed_at, review.completed_by) == ("draft", None, None)


def test_a_review_cannot_be_reopened_while_its_high_incident_is_closed(in_review, responder):
    complete_review(in_review, responder)
    incident = services.incident_change_status(incident=in_review, actor=responder, status="closed")
    with pytest.raises(ValidationError, match="move the incident back to review first"):
        services.review_reopen(review=incident.review, actor=responder)
    services.incident_change_status(
        incident=incident, actor=responder, status="review", reason="Missed a host"
    )
    services.review_reopen(review=incident.review, actor=responder)


def test_the_review_page_completes_and_reopens(in_review, responder, lead_client):
    for kind in (ReviewSectionKind.SUMMARY, ReviewSectionKind.ROOT_CAUSE):
        services.review_section_update(section=section(in_review, kind), actor=responder, body="x")
    response = lead_client.post(f"/incidents/{in_review.pk}/review/complete/")
    assert response.status_code == 302
    page = lead_client.get(response["Location"]).content.decode()
    assert "Completed" in page and "Reopen the review" in page
    assert "Complete the review" not in page
    assert lead_client.post(f"/incidents/{in_review.pk}/review/reopen/").status_code == 302
    assert PostIncidentReview.objects.get(incident=in_review).status == ReviewStatus.DRAFT


# --- Sections, findings, action items ----------------------------------------------


def test_every_review_write_is_audited(in_review, responder, lead):
    start = newest_event_id()
    root_cause = section(in_review, ReviewSectionKind.ROOT_CAUSE)
    summary = section(in_review, ReviewSectionKind.SUMMARY)
    services.review_section_update(section=summary, actor=responder, body="Shell via upload")
    services.review_section_update(section=root_cause, actor=responder, body="No type check")
    services.finding_add(section=root_cause, actor=responder, body="Same flaw in /avatar")
    item = services.action_item_add(
        section=root_cause, actor=responder, title="Check uploads", owner=lead, due_date=NEXT_WEEK
    )
    services.action_item_update(item=item, actor=lead, status=ActionItemStatus.DONE)
    services.review_complete(review=in_review.review, actor=responder)
    services.review_reopen(review=in_review.review, actor=responder)
    assert actions_since(start) == [
        "review.section_updated",
        "review.section_updated",
        "review.finding_added",
        "review.action_item_added",
        "review.action_item_updated",
        "review.completed",
        "review.reopened",
    ]
    events = AuditEvent.objects.filter(id__gt=start, action__startswith="review.")
    assert all(event.actor_id in (responder.pk, lead.pk) for event in events)
    updated = events.get(action="review.action_item_updated")
    assert updated.data["changes"] == {"status": ["open", "done"]}


def test_sections_findings_and_action_items_through_the_page(in_review, lead, lead_client):
    root_cause = section(in_review, ReviewSectionKind.ROOT_CAUSE)
    base = f"/incidents/{in_review.pk}/review/sections/{root_cause.pk}/"
    response = lead_client.post(base, {"body": "Uploads were not type-checked."})
    assert response.status_code == 302
    assert response["Location"].endswith("#section-root_cause")
    assert lead_client.post(f"{base}findings/", {"body": "Also in /avatar"}).status_code == 302
    response = lead_client.post(
        f"{base}action-items/",
        {
            "title": "Audit every upload handler",
            "owner": lead.username,
            "due_date": NEXT_WEEK.isoformat(),
            "ticket_url": "https://tracker.example.org/SEC-12",
        },
    )
    assert response.status_code == 302
    item = ActionItem.objects.get()
    assert (item.incident, item.section, item.owner, item.due_date) == (
        in_review,
        root_cause,
        lead,
        NEXT_WEEK,
    )
    page = lead_client.get(f"/incidents/{in_review.pk}/review/")
    body = page.content.decode()
    assert "Uploads were not type-checked." in body
    assert "Also in /avatar" in body
    assert "Audit every upload handler" in body
    assert 'href="https://tracker.example.org/SEC-12"' in body
    page_audit = assert_csp_safe(page)
    # Per section its text and a finding; one action-item form for the page (issue 20).
    assert len(page_audit.post_forms) >= 2 * len(ReviewSectionKind.values) + 1


def test_the_page_shows_every_guidance_and_says_root_causes_are_not_people(in_review, lead_client):
    body = lead_client.get(f"/incidents/{in_review.pk}/review/").content.decode()
    for label in ReviewSectionKind.labels:
        assert label.replace("'", "&#x27;") in body
    assert "Audit the whole codebase for the same flaw" in body
    assert "Systemic causes, not people" in body
    assert "never who" in body  # the root cause form's help text


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"owner": ""}, "owner", "This field is required."),
        ({"due_date": ""}, "due_date", "This field is required."),
        ({"ticket_url": "javascript:alert(1)"}, "ticket_url", "Enter a valid URL."),
        ({"ticket_url": "ftp://files.example.org/x"}, "ticket_url", "Enter a valid URL."),
        ({"title": ""}, "title", "This field is required."),
    ],
)
def test_an_invalid_action_item_is_refused_with_the_reason_and_writes_nothing(
    in_review, lead, lead_client, fields, field, message
):
    summary = section(in_review, ReviewSectionKind.SUMMARY)
    data = {"title": "Patch", "owner": lead.username, "due_date": NEXT_WEEK.isoformat()}
    before = row_counts()
    response = lead_client.post(
        f"/incidents/{in_review.pk}/review/sections/{summary.pk}/action-items/",
        {**data, **fields},
    )
    assert response.status_code == UNPROCESSABLE
    assert message in response.content.decode()
    assert row_counts() == before


def test_the_service_also_refuses_a_non_http_ticket_link(in_review, lead):
    summary = section(in_review, ReviewSectionKind.SUMMARY)
    with pytest.raises(ValidationError) as refused:
        services.action_item_add(
            section=summary,
            actor=lead,
            title="Patch",
            owner=lead,
            due_date=NEXT_WEEK,
            ticket_url="ftp://files.example.org/x",
        )
    assert "ticket_url" in refused.value.message_dict


def test_an_owner_must_be_able_to_see_the_incident(make_incident, lead, make_member):
    incident = walk_to(make_incident(reporter=lead, restricted=True), Status.REVIEW, lead)
    outsider = make_member(Role.RESPONDER)
    with pytest.raises(ValidationError, match="can see this incident"):
        services.action_item_add(
            section=section(incident, "summary"),
            actor=lead,
            title="Patch",
            owner=outsider,
            due_date=NEXT_WEEK,
        )
    services.crew_add(incident=incident, actor=lead, user=outsider)
    services.action_item_add(
        section=section(incident, "summary"),
        actor=lead,
        title="Patch",
        owner=outsider,
        due_date=NEXT_WEEK,
    )


def test_closing_and_reopening_an_action_item_sets_and_clears_closed_at(in_review, lead):
    item = services.action_item_add(
        section=section(in_review, "monitoring"),
        actor=lead,
        title="Alert on web shells",
        owner=lead,
        due_date=NEXT_WEEK,
    )
    item = services.action_item_update(item=item, actor=lead, status=ActionItemStatus.WONT_DO)
    assert item.closed_at is not None and not item.is_open
    item = services.action_item_update(item=item, actor=lead, status=ActionItemStatus.IN_PROGRESS)
    assert item.closed_at is None and item.is_open


def test_the_owner_changes_the_status_but_nothing_else(in_review, lead, legal):
    item = services.action_item_add(
        section=section(in_review, "human_factors"),
        actor=lead,
        title="Phishing drill",
        owner=legal,
        due_date=NEXT_WEEK,
    )
    with pytest.raises(PermissionDenied):
        services.action_item_update(item=item, actor=legal, due_date=NEXT_WEEK + dt.timedelta(1))
    item = services.action_item_update(item=item, actor=legal, status=ActionItemStatus.DONE)
    assert item.status == ActionItemStatus.DONE


def test_the_owner_sets_the_status_through_the_tracker(in_review, lead, legal, client):
    item = services.action_item_add(
        section=section(in_review, "human_factors"),
        actor=lead,
        title="Phishing drill",
        owner=legal,
        due_date=NEXT_WEEK,
    )
    sign_in(client, legal)
    response = client.post(
        f"/incidents/{in_review.pk}/review/action-items/{item.pk}/status/",
        {"status": "in_progress", "return_to": "tracker", "return_query": "owner=me&page=2"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/incidents/action-items/?owner=me&page=2"
    item.refresh_from_db()
    assert item.status == ActionItemStatus.IN_PROGRESS
    # legal may not edit the review itself
    response = client.post(
        f"/incidents/{in_review.pk}/review/sections/{section(in_review, 'summary').pk}/",
        {"body": "x"},
    )
    assert response.status_code == 403


def test_after_completion_an_item_status_still_moves_but_its_owner_does_not(
    in_review, responder, lead
):
    item = services.action_item_add(
        section=section(in_review, "authentication"),
        actor=responder,
        title="Keys for admins",
        owner=lead,
        due_date=NEXT_WEEK,
    )
    complete_review(in_review, responder)
    services.action_item_update(item=item, actor=lead, status=ActionItemStatus.DONE)
    with pytest.raises(ValidationError, match="reopen the review"):
        services.action_item_update(item=item, actor=responder, owner=responder)


@pytest.mark.parametrize("role", [Role.MANAGER, Role.AUDITOR])
def test_people_who_cannot_change_the_incident_read_the_review_but_cannot_write(
    in_review, make_member, client, role
):
    person = make_member(role)
    sign_in(client, person)
    page = client.get(f"/incidents/{in_review.pk}/review/")
    assert page.status_code == 200
    assert "Complete the review" not in page.content.decode()
    summary = section(in_review, "summary")
    before = row_counts()
    urls = [
        f"/incidents/{in_review.pk}/review/sections/{summary.pk}/",
        f"/incidents/{in_review.pk}/review/sections/{summary.pk}/findings/",
        f"/incidents/{in_review.pk}/review/complete/",
    ]
    for url in urls:
        assert client.post(url, {"body": "x"}).status_code == 403
    assert row_counts() == before
    with pytest.raises(PermissionDenied):
        services.review_section_update(section=summary, actor=person, body="x")


# --- Need-to-know ---------------------------------------------------------------------


@pytest.fixture
def restricted_review(make_incident, lead):
    incident = walk_to(make_incident(reporter=lead, restricted=True), Status.REVIEW, lead)
    item = services.action_item_add(
        section=section(incident, "authorization"),
        actor=lead,
        title="Secret restricted work",
        owner=lead,
        due_date=YESTERDAY,
    )
    return incident, item


def test_a_responder_not_on_a_restricted_incident_gets_404_everywhere(
    restricted_review, make_member, client
):
    incident, item = restricted_review
    outsider = make_member(Role.RESPONDER)
    sign_in(client, outsider)
    summary = section(incident, "summary")
    before = row_counts()
    assert client.get(f"/incidents/{incident.pk}/review/").status_code == 404
    for url, data in [
        (f"/incidents/{incident.pk}/review/sections/{summary.pk}/", {"body": "x"}),
        (f"/incidents/{incident.pk}/review/sections/{summary.pk}/findings/", {"body": "x"}),
        (f"/incidents/{incident.pk}/review/action-items/{item.pk}/status/", {"status": "done"}),
        (f"/incidents/{incident.pk}/review/complete/", {}),
    ]:
        assert client.post(url, data).status_code == 404, url
    assert row_counts() == before
    tracker = client.get("/incidents/action-items/", {"status": "all"})
    assert "Secret restricted work" not in tracker.content.decode()
    assert incident.reference not in tracker.content.decode()


def test_an_item_id_from_another_incident_is_404(restricted_review, in_review, lead_client):
    _, item = restricted_review
    url = f"/incidents/{in_review.pk}/review/action-items/{item.pk}/status/"
    assert lead_client.post(url, {"status": "done"}).status_code == 404


# --- The tracker ------------------------------------------------------------------------


@pytest.fixture
def items(in_review, lead, responder):
    def add(title, owner, due, kind="code_security"):
        return services.action_item_add(
            section=section(in_review, kind), actor=lead, title=title, owner=owner, due_date=due
        )

    late = add("Rotate keys (late)", responder, YESTERDAY)
    mine = add("Lead's own item", lead, NEXT_WEEK)
    done = add("Finished item", responder, YESTERDAY)
    done = services.action_item_update(item=done, actor=lead, status=ActionItemStatus.DONE)
    return {"late": late, "mine": mine, "done": done}


def titles(response) -> set[str]:
    body = response.content.decode()
    candidates = ("Rotate keys (late)", "Lead's own item", "Finished item", "Secret restricted")
    return {title for title in candidates if title.replace("'", "&#x27;") in body}


def test_the_tracker_shows_open_items_by_default_and_highlights_overdue(items, lead_client):
    response = lead_client.get("/incidents/action-items/")
    assert response.status_code == 200
    assert titles(response) == {"Rotate keys (late)", "Lead's own item"}
    body = response.content.decode()
    assert f'id="item-{items["late"].pk}" class="overdue"' in body
    assert f'id="item-{items["mine"].pk}" class=""' in body
    assert_csp_safe(response)


def test_the_tracker_filters_by_owner_and_overdue(items, lead, responder, lead_client):
    assert titles(lead_client.get("/incidents/action-items/", {"owner": "me"})) == {
        "Lead's own item"
    }
    by_id = lead_client.get("/incidents/action-items/", {"owner": responder.pk})
    assert titles(by_id) == {"Rotate keys (late)"}
    overdue = lead_client.get("/incidents/action-items/", {"overdue": "1"})
    assert titles(overdue) == {"Rotate keys (late)"}
    everything = lead_client.get("/incidents/action-items/", {"status": "all"})
    assert titles(everything) == {"Rotate keys (late)", "Lead's own item", "Finished item"}
    done = lead_client.get("/incidents/action-items/", {"status": "done"})
    assert titles(done) == {"Finished item"}


def test_a_bad_tracker_filter_is_400_and_ignored(items, lead_client):
    # An id no column can hold (a user name nobody has is no error: it matches nothing).
    response = lead_client.get("/incidents/action-items/", {"owner": "9" * 20})
    assert response.status_code == 400
    assert "Give “me”, a user name or a person" in response.content.decode()
    assert titles(response) == {"Rotate keys (late)", "Lead's own item"}


def test_the_tracker_selector_respects_need_to_know(items, restricted_review, responder, lead):
    from incidents import selectors

    assert {item.title for item in selectors.action_item_tracker(user=lead, overdue=True)} == {
        "Rotate keys (late)",
        "Secret restricted work",
    }
    seen = {item.title for item in selectors.action_item_tracker(user=responder, overdue=True)}
    assert seen == {"Rotate keys (late)"}
    incident, _ = restricted_review
    services.crew_add(incident=incident, actor=lead, user=responder)
    seen = {item.title for item in selectors.action_item_tracker(user=responder, overdue=True)}
    assert seen == {"Rotate keys (late)", "Secret restricted work"}
    assert items["late"].is_overdue and not items["mine"].is_overdue
    assert not items["done"].is_overdue


def test_the_tracker_paginates(in_review, lead, lead_client):
    from incidents.views import review as review_views

    for number in range(review_views.ACTION_ITEMS_PER_PAGE + 1):
        services.action_item_add(
            section=section(in_review, "monitoring"),
            actor=lead,
            title=f"Item {number}",
            owner=lead,
            due_date=NEXT_WEEK,
        )
    first = lead_client.get("/incidents/action-items/", {"owner": "me"}).content.decode()
    assert "page 1 of 2" in first and "?owner=me&amp;page=2" in first
    second = lead_client.get("/incidents/action-items/", {"owner": "me", "page": 2})
    assert second.content.decode().count('<tr id="item-') == 1


def test_an_incident_in_review_without_a_review_can_start_one_from_its_page(
    in_review, incident, lead_client
):
    PostIncidentReview.objects.filter(incident=in_review).delete()  # filed before reviews
    page = lead_client.get(f"/incidents/{in_review.pk}/").content.decode()
    assert "Start the post-incident review" in page
    response = lead_client.post(f"/incidents/{in_review.pk}/review/start/")
    assert response.status_code == 302
    assert response["Location"] == f"/incidents/{in_review.pk}/review/"
    assert PostIncidentReview.objects.get(incident=in_review).sections.count() == 11
    assert (
        "Start the post-incident review"
        not in lead_client.get(f"/incidents/{in_review.pk}/").content.decode()
    )
    assert lead_client.post(f"/incidents/{incident.pk}/review/start/").status_code == 400
    assert not PostIncidentReview.objects.filter(incident=incident).exists()


HTMX = {"HTTP_HX_REQUEST": "true"}


def test_with_htmx_a_status_change_answers_the_item_row(items, lead_client):
    item = items["late"]
    response = lead_client.post(
        f"/incidents/{item.incident_id}/review/action-items/{item.pk}/status/",
        {"status": "done", "return_to": "tracker", "return_query": "overdue=1"},
        **HTMX,
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith(f'<tr id="item-{item.pk}" class=" done">')
    assert "<html" not in body
    assert "“Rotate keys (late)” is now done." in body
    assert item.incident.reference in body  # the tracker's columns
    assert 'name="return_query" value="overdue=1"' in body
    assert "HX-Request" in response["Vary"]
    assert_csp_safe(response)
    item.refresh_from_db()
    assert item.status == ActionItemStatus.DONE and item.closed_at is not None


def test_with_htmx_a_bad_status_answers_the_row_with_the_error(items, lead_client):
    item = items["mine"]
    before = row_counts()
    response = lead_client.post(
        f"/incidents/{item.incident_id}/review/action-items/{item.pk}/status/",
        {"status": "exploded"},
        **HTMX,
    )
    assert response.status_code == UNPROCESSABLE
    body = response.content.decode()
    assert body.lstrip().startswith(f'<tr id="item-{item.pk}"')
    assert "Select a valid choice" in body
    assert row_counts() == before
