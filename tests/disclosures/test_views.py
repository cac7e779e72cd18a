"""The disclosure pages through HTTP (CONTRACT.md, browser URLs): need-to-know, drafting,
versions and diffs, four-eyes approval with step-up, publication, exports, templates."""

import pytest
from django.contrib.auth.models import Permission

from accounts.roles import Role
from disclosures import services
from disclosures.lifecycle import DisclosureStatus
from disclosures.models import Approval, Audience, Disclosure, Publication, Regime
from tests.conftest import sign_in
from tests.factories import fill_blanks
from tests.incidents.test_views import audit_page

pytestmark = pytest.mark.django_db


def url(disclosure, action=""):
    return f"/disclosures/{disclosure.pk}/{action + '/' if action else ''}"


# --- Sight ------------------------------------------------------------------------


def test_crew_and_team_see_the_draft_with_its_clock_and_checklist(client, draft, responder):
    sign_in(client, responder)
    response = client.get(url(draft))
    assert response.status_code == 200
    page = response.content.decode()
    assert "GDPR Art. 33 notification to the supervisory authority (72 h)" in page
    assert " left" in page or "overdue by" in page
    assert "Art. 33(3)(b) DPO or other contact point" in page
    assert draft.current_version.sha256 in page
    audited = audit_page(response)
    assert not audited.problems
    assert all(form["csrf"] for form in audited.post_forms)


def test_restricted_incidents_disclosures_are_404_for_non_crew(
    client, make_incident, make_member, lead
):
    incident = make_incident(reporter=lead, restricted=True)
    disclosure = services.disclosure_create(
        incident=incident, actor=lead, audience=Audience.USERS, regime=Regime.NONE
    )
    outsider = make_member(Role.RESPONDER, username="outsider")
    sign_in(client, outsider)
    for path in (url(disclosure), url(disclosure, "edit"), url(disclosure, "submit")):
        method = client.get if path == url(disclosure) else client.post
        assert method(path, {"body": "x"}).status_code == 404
    assert client.get(f"/disclosures/new/{incident.pk}/").status_code == 404
    assert disclosure.versions.count() == 1


def test_reporters_never_see_disclosures_even_of_their_own_incident(
    client, make_incident, reporter, responder
):
    incident = make_incident(reporter=reporter)
    disclosure = services.disclosure_create(
        incident=incident, actor=responder, audience=Audience.USERS
    )
    sign_in(client, reporter)
    assert client.get(url(disclosure)).status_code == 404
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "section-disclosures" not in page


def test_anonymous_is_sent_to_sign_in(client, draft):
    response = client.get(url(draft))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# --- Drafting -----------------------------------------------------------------------


def test_incident_page_lists_disclosures_and_offers_a_new_one(client, draft, responder):
    sign_in(client, responder)
    response = client.get(f"/incidents/{draft.incident_id}/")
    page = response.content.decode()
    assert "section-disclosures" in page
    assert url(draft) in page
    assert f"/disclosures/new/{draft.incident_id}/" in page
    assert all(form["csrf"] for form in audit_page(response).post_forms)


def test_new_disclosure_from_the_incident_page(client, incident, responder):
    sign_in(client, responder)
    response = client.post(
        f"/disclosures/new/{incident.pk}/", {"audience": "users", "regime": "gdpr_art34"}
    )
    disclosure = Disclosure.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url(disclosure)
    assert "[TO BE CONFIRMED:" in disclosure.current_version.body


def test_edit_writes_a_version_and_any_two_can_be_compared(client, draft, responder):
    sign_in(client, responder)
    old = draft.current_version.body
    response = client.post(url(draft, "edit"), {"body": old.replace("What happened", "Summary")})
    assert response.status_code == 302
    client.post(url(draft, "edit"), {"body": "Short text.\n"})
    assert draft.versions.count() == 3
    page = client.get(url(draft), {"older": 1, "newer": 2}).content.decode()
    assert "<del>- What happened</del>" in page
    assert "<ins>+ Summary</ins>" in page
    page = client.get(url(draft), {"older": 2, "newer": 3}).content.decode()
    assert "<ins>+ Short text.</ins>" in page


def test_an_empty_text_is_refused_with_the_form_again(client, draft, responder):
    sign_in(client, responder)
    response = client.post(url(draft, "edit"), {"body": "   "})
    assert response.status_code == 422
    assert draft.versions.count() == 1


# --- Lifecycle ------------------------------------------------------------------------


def test_submit_twice_is_a_conflict_with_a_clear_message(client, draft, responder):
    fill_blanks(draft, responder)
    sign_in(client, responder)
    assert client.post(url(draft, "submit")).status_code == 302
    response = client.post(url(draft, "submit"))
    assert response.status_code == 409
    assert "in review can become" in response.content.decode()


def test_manager_approves_with_a_fresh_step_up(client, in_review, manager):
    sign_in(client, manager)
    response = client.post(url(in_review, "approve"), {"sha256": in_review.current_version.sha256})
    assert response.status_code == 302
    in_review.refresh_from_db()
    assert in_review.status == DisclosureStatus.APPROVED
    approval = Approval.objects.get()
    assert (approval.approver, approval.role) == (manager, "manager")
    assert approval.body_sha256 == in_review.current_version.sha256


def test_stale_step_up_is_redirected_and_approves_nothing(client, in_review, manager):
    sign_in(client, manager, step_up=False)
    response = client.post(
        url(in_review, "approve"), HTTP_REFERER=f"http://testserver{url(in_review)}"
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/step-up/")
    assert not Approval.objects.exists()


def test_self_approval_is_refused(client, incident, make_member):
    author = make_member(Role.MANAGER, username="drafting-manager")
    author.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_disclosure", "change_disclosure"])
    )
    disclosure = services.disclosure_create(
        incident=incident, actor=author, audience=Audience.USERS
    )
    fill_blanks(disclosure, author)
    services.disclosure_submit(disclosure=disclosure, actor=author)
    sign_in(client, author)
    response = client.post(url(disclosure, "approve"))
    assert response.status_code == 403
    assert "someone else must approve" in response.content.decode()
    assert not Approval.objects.exists()


def test_responder_approval_is_refused(client, in_review, make_member):
    other = make_member(Role.RESPONDER, username="other-responder")
    sign_in(client, other)
    response = client.post(url(in_review, "approve"))
    assert response.status_code == 403
    assert "Only a manager" in response.content.decode()
    assert not Approval.objects.exists()


def test_approving_a_text_that_changed_meanwhile_is_a_conflict(client, in_review, manager):
    sign_in(client, manager)
    response = client.post(url(in_review, "approve"), {"sha256": "a" * 64})
    assert response.status_code == 409
    assert not Approval.objects.exists()


def test_edit_after_approval_voids_it(client, approved, responder):
    sign_in(client, responder)
    response = client.post(url(approved, "edit"), {"body": "A better text."}, follow=True)
    assert "earlier approvals no longer count" in response.content.decode()
    approved.refresh_from_db()
    assert approved.status == DisclosureStatus.DRAFT
    assert Approval.objects.get().voided_at is not None


def test_publish_records_what_went_out_and_freezes_the_text(client, approved, manager, responder):
    sign_in(client, manager)
    response = client.post(
        url(approved, "publish"), {"channel": "DPA portal", "recipients": "The authority"}
    )
    assert response.status_code == 302
    publication = Publication.objects.get()
    assert publication.version == approved.current_version
    assert publication.published_by == manager
    sign_in(client, responder)
    response = client.post(url(approved, "edit"), {"body": "Rewritten history."})
    assert response.status_code == 409
    assert "frozen" in response.content.decode()
    approved.refresh_from_db()
    assert approved.current_version.body != "Rewritten history."


def test_publish_needs_a_step_up(client, approved, manager):
    sign_in(client, manager, step_up=False)
    response = client.post(url(approved, "publish"), {"channel": "e-mail", "recipients": "all"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/step-up/")
    assert not Publication.objects.exists()


def test_publishing_an_unapproved_draft_is_a_conflict(client, draft, lead):
    sign_in(client, lead)
    response = client.post(url(draft, "publish"), {"channel": "e-mail", "recipients": "all"})
    assert response.status_code == 409
    assert not Publication.objects.exists()


def test_withdraw(client, in_review, responder):
    sign_in(client, responder)
    assert client.post(url(in_review, "withdraw"), {"reason": "Duplicate"}).status_code == 302
    in_review.refresh_from_db()
    assert in_review.status == DisclosureStatus.WITHDRAWN
    assert client.post(url(in_review, "withdraw")).status_code == 409


# --- Exports ------------------------------------------------------------------------


def test_exports_need_an_approved_text(client, draft, responder):
    sign_in(client, responder)
    assert client.get(url(draft, "export.md").rstrip("/")).status_code == 409
    assert client.get(url(draft, "print")).status_code == 409


def test_markdown_and_print_exports_of_the_approved_text(client, approved, responder):
    sign_in(client, responder)
    response = client.get(f"/disclosures/{approved.pk}/export.md")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/markdown")
    text = response.content.decode()
    assert approved.current_version.body in text
    assert approved.current_version.sha256 in text
    assert "Approved by mona (Manager)" in text
    response = client.get(url(approved, "print"))
    assert response.status_code == 200
    assert not audit_page(response).problems


@pytest.mark.parametrize("path", ["export.md", "print/"])
@pytest.mark.parametrize("site", ["cross-site", "same-site"])
def test_an_export_link_on_another_site_is_refused_and_not_recorded(
    client, approved, responder, path, site
):
    """An export writes `disclosure.exported`: a link elsewhere must not write it in the
    name of whoever follows it (issue 14). The disclosure page's own links still work."""
    from audit.models import AuditEvent

    sign_in(client, responder)
    headers = {"Sec-Fetch-Site": site, "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}
    response = client.get(f"/disclosures/{approved.pk}/{path}", headers=headers)
    assert response.status_code == 403
    assert approved.current_version.body not in response.content.decode()
    assert not AuditEvent.objects.filter(action="disclosure.exported").exists()
    same_origin = {**headers, "Sec-Fetch-Site": "same-origin"}
    assert client.get(f"/disclosures/{approved.pk}/{path}", headers=same_origin).status_code == 200
    assert AuditEvent.objects.filter(action="disclosure.exported").count() == 1


HOSTILE_CHANNEL = "x -->\n# Injected"


def _comment_and_body(text: str) -> tuple[list[str], str]:
    """The export's HTML comment, line by line, and what follows it."""
    assert text.startswith("<!--\n")
    comment, closing, rest = text[len("<!--\n") :].partition("-->")
    assert closing, "the comment must be closed"
    return comment.splitlines(), rest


def test_a_channel_with_a_line_break_or_comment_end_is_refused_naming_it(client, approved, manager):
    sign_in(client, manager)
    response = client.post(
        url(approved, "publish"), {"channel": HOSTILE_CHANNEL, "recipients": "The authority"}
    )
    assert response.status_code == 422
    assert list(response.context["publish_form"].errors) == ["channel"]
    assert "Remove the control or invisible characters" in response.content.decode()
    assert not Publication.objects.exists()
    approved.refresh_from_db()
    assert approved.status == DisclosureStatus.APPROVED


def test_a_stored_hostile_channel_cannot_add_lines_to_the_markdown_export(
    client, approved, manager, responder
):
    # As an old row (or one written past the service) might hold it.
    Publication.objects.create(
        disclosure=approved,
        version=approved.current_version,
        body_sha256=approved.current_version.sha256,
        channel=HOSTILE_CHANNEL + "\r\n--!> <!-- \u2028# Also injected",
        recipients="all",
        published_by=manager,
    )
    sign_in(client, responder)

    text = client.get(f"/disclosures/{approved.pk}/export.md").content.decode()

    comment, rest = _comment_and_body(text)
    (published,) = [line for line in comment if line.startswith("Published via")]
    assert "# Injected" in published and "# Also injected" in published
    assert "-->" not in published and "--!>" not in published and "<!--" not in published
    assert rest == "\n\n" + approved.current_version.body + "\n"
    assert not any(line.startswith("#") for line in text.splitlines()[: len(comment) + 1])


# --- Templates ------------------------------------------------------------------------


def test_leads_edit_templates_and_others_cannot(client, lead, responder):
    sign_in(client, responder)
    assert client.get("/disclosures/templates/").status_code == 403
    sign_in(client, lead)
    assert client.get("/disclosures/templates/").status_code == 200
    path = "/disclosures/templates/users/gdpr_art34/"
    assert "$what_happened" in client.get(path).content.decode()
    assert client.post(path, {"body": "Hello $title"}).status_code == 302
    assert client.post(path, {"body": "Hello $password"}).status_code == 422
