"""A notice with [TO BE CONFIRMED: …] blanks cannot go for approval, be approved or be
recorded as published: the services refuse with the list of blanks (a ValidationError on
`body`, 400 in the API, 422 on the page), and the page lists them."""

import pytest
from django.core.exceptions import ValidationError

from audit.models import AuditEvent
from disclosures import regimes, services
from disclosures.lifecycle import DisclosureStatus
from disclosures.models import Approval, Publication
from tests.conftest import sign_in
from tests.factories import fill_blanks

pytestmark = pytest.mark.django_db

PEOPLE = regimes.PEOPLE


def test_a_prefilled_draft_has_blanks(draft):
    assert regimes.open_blanks(draft.current_version.body)


def test_submitting_with_blanks_is_refused_with_their_list(draft, responder):
    with pytest.raises(ValidationError) as refused:
        services.disclosure_submit(disclosure=draft, actor=responder)
    messages = refused.value.message_dict["body"]
    body = draft.current_version.body
    assert messages[0].startswith(f"Version 1 still has {len(regimes.open_blanks(body))} blanks")
    assert f"{PEOPLE} (x2)" in messages  # once in the text, once in Art. 33(3)(a)
    assert set(messages[1:]) <= {
        f"{marker} (x{count})" if count > 1 else marker
        for marker, count in regimes.distinct_blanks(body)
    }
    draft.refresh_from_db()
    assert draft.status == DisclosureStatus.DRAFT
    assert not AuditEvent.objects.filter(action="disclosure.submitted").exists()


@pytest.mark.parametrize(
    "typed",
    ["[TO BE CONFIRMED: the DPO]", "[to be confirmed]", "[ TO BE CONFIRMED - numbers ]"],
)
def test_a_blank_typed_by_hand_counts_too(draft, responder, typed):
    services.disclosure_edit(disclosure=draft, actor=responder, body=f"Contact: {typed}\n")
    with pytest.raises(ValidationError, match="1 blank to confirm"):
        services.disclosure_submit(disclosure=draft, actor=responder)


def test_without_blanks_it_goes_for_approval(draft, responder):
    fill_blanks(draft, responder)
    services.disclosure_submit(disclosure=draft, actor=responder)
    draft.refresh_from_db()
    assert draft.status == DisclosureStatus.IN_REVIEW


def _in_review_with_blanks(disclosure, author):
    """A version with blanks already in review, as before this rule (the row as it was)."""
    from disclosures.models import Disclosure

    fill_blanks(disclosure, author)
    services.disclosure_submit(disclosure=disclosure, actor=author)
    version = disclosure.current_version
    # Written as an older Cordon could have left it: a text with a blank, in review.
    blank_version = type(version)(
        disclosure=disclosure,
        number=version.number + 1,
        body=f"Affected: {PEOPLE}\n",
        author=author,
    )
    blank_version.save()
    Disclosure.objects.filter(pk=disclosure.pk).update(current_version=blank_version)
    disclosure.refresh_from_db()
    return disclosure


def test_approving_a_version_with_blanks_is_refused(draft, responder, manager):
    disclosure = _in_review_with_blanks(draft, responder)
    with pytest.raises(ValidationError, match="before it can be approved") as refused:
        services.disclosure_approve(disclosure=disclosure, actor=manager)
    assert PEOPLE in refused.value.message_dict["body"]
    assert not Approval.objects.exists()


def test_publishing_a_version_with_blanks_is_refused(draft, responder, manager):
    disclosure = _in_review_with_blanks(draft, responder)
    version = disclosure.current_version
    Approval.objects.create(
        disclosure=disclosure,
        version=version,
        approver=manager,
        role="manager",
        body_sha256=version.sha256,
    )
    type(disclosure).objects.filter(pk=disclosure.pk).update(status=DisclosureStatus.APPROVED)
    disclosure.refresh_from_db()
    with pytest.raises(ValidationError, match="before it is recorded as published"):
        services.disclosure_publish(
            disclosure=disclosure, actor=manager, channel="portal", recipients="the authority"
        )
    assert not Publication.objects.exists()


def test_the_api_submit_is_400_with_the_list(token_client, draft, responder):
    client = token_client(responder, "disclosures:write")
    response = client.post(f"/api/v1/disclosures/{draft.pk}/submit/")
    assert response.status_code == 400
    body = response.json()
    assert "blanks to confirm" in body["body"][0]
    assert f"{PEOPLE} (x2)" in body["body"]


def test_the_page_lists_the_blanks_and_refuses_submission(client, draft, responder):
    sign_in(client, responder)
    page = client.get(f"/disclosures/{draft.pk}/").content.decode()
    assert "blanks still to be confirmed" in page
    assert f"<code>{PEOPLE}</code>" in page

    response = client.post(f"/disclosures/{draft.pk}/submit/")
    assert response.status_code == 422
    refused = response.content.decode()
    assert "before it goes for approval" in refused
    assert 'href="#section-checklist"' in refused
    draft.refresh_from_db()
    assert draft.status == DisclosureStatus.DRAFT
