"""The disclosure services: lifecycle, four eyes, versions, publication, audit events."""

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.roles import Role
from audit.models import AuditEvent
from disclosures import services
from disclosures.lifecycle import DisclosureStatus, IllegalTransition
from disclosures.models import Approval, ApprovalRole, Audience, Publication, Regime
from notifications.models import Notification
from tests.factories import fill_blanks

pytestmark = pytest.mark.django_db


def test_create_writes_version_one_and_an_audit_event(draft, responder):
    assert draft.status == DisclosureStatus.DRAFT
    assert draft.versions.count() == 1
    assert draft.current_version.author == responder
    event = AuditEvent.objects.filter(action="disclosure.created").get()
    assert event.data["sha256"] == draft.current_version.sha256


def test_reporters_cannot_draft(incident, reporter):
    with pytest.raises(PermissionDenied):
        services.disclosure_create(incident=incident, actor=reporter, audience=Audience.USERS)


def test_out_of_sight_incident_cannot_get_a_draft(make_incident, lead, responder):
    hidden = make_incident(reporter=lead, restricted=True)
    with pytest.raises(PermissionDenied):
        services.disclosure_create(incident=hidden, actor=responder, audience=Audience.USERS)


def test_each_edit_is_a_new_version(draft, responder, legal):
    services.disclosure_edit(disclosure=draft, actor=legal, body="Second text.")
    version = services.disclosure_edit(disclosure=draft, actor=responder, body="Third text.")
    assert version.number == 3
    assert [v.number for v in draft.versions.all()] == [1, 2, 3]
    draft.refresh_from_db()
    assert draft.current_version == version


def test_an_unchanged_text_is_not_a_new_version(draft, responder):
    same = services.disclosure_edit(
        disclosure=draft, actor=responder, body=draft.current_version.body
    )
    assert same.number == 1


def test_submit_tells_the_managers(draft, responder, manager):
    fill_blanks(draft, responder)
    services.disclosure_submit(disclosure=draft, actor=responder)
    assert Notification.objects.filter(recipient=manager, subject__contains="approval").exists()


def test_manager_approval_approves(in_review, manager):
    approval = services.disclosure_approve(disclosure=in_review, actor=manager)
    in_review.refresh_from_db()
    assert in_review.status == DisclosureStatus.APPROVED
    assert approval.role == ApprovalRole.MANAGER
    assert approval.body_sha256 == in_review.current_version.sha256


def test_self_approval_is_refused(make_incident, manager, make_member):
    author = make_member(Role.MANAGER, username="author-manager")
    author.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_disclosure", "change_disclosure"])
    )
    incident = make_incident()
    disclosure = services.disclosure_create(
        incident=incident, actor=author, audience=Audience.USERS
    )
    fill_blanks(disclosure, author)
    services.disclosure_submit(disclosure=disclosure, actor=author)
    with pytest.raises(services.ApprovalRefused, match="someone else"):
        services.disclosure_approve(disclosure=disclosure, actor=author)


def test_the_last_editor_cannot_approve(in_review, manager, second_manager):
    second_manager.user_permissions.add(*Permission.objects.filter(codename="change_disclosure"))
    services.disclosure_edit(disclosure=in_review, actor=second_manager, body="Edited by Max.")
    services.disclosure_submit(disclosure=in_review, actor=second_manager)
    with pytest.raises(services.ApprovalRefused):
        services.disclosure_approve(disclosure=in_review, actor=second_manager)
    services.disclosure_approve(disclosure=in_review, actor=manager)


@pytest.mark.parametrize("role", [Role.RESPONDER, Role.LEAD, Role.LEGAL, Role.AUDITOR])
def test_only_managers_approve(in_review, make_member, role):
    person = make_member(role, username=f"not-a-manager-{role}")
    with pytest.raises(services.ApprovalRefused):
        services.disclosure_approve(disclosure=in_review, actor=person)
    assert not Approval.objects.exists()


def test_approval_of_a_text_the_approver_did_not_read_is_refused(in_review, manager):
    with pytest.raises(services.VersionChanged):
        services.disclosure_approve(disclosure=in_review, actor=manager, sha256="0" * 64)


def test_a_draft_cannot_be_approved(draft, manager):
    with pytest.raises(IllegalTransition):
        services.disclosure_approve(disclosure=draft, actor=manager)


def test_a_second_approval_does_not_count(approved, second_manager):
    with pytest.raises(IllegalTransition):
        services.disclosure_approve(disclosure=approved, actor=second_manager)
    assert Approval.objects.count() == 1


def test_legal_approval_when_the_setting_asks_for_it(in_review, manager, legal, settings):
    settings.DISCLOSURE_REQUIRE_LEGAL_APPROVAL = True
    services.disclosure_approve(disclosure=in_review, actor=manager)
    in_review.refresh_from_db()
    assert in_review.status == DisclosureStatus.IN_REVIEW
    services.disclosure_approve(disclosure=in_review, actor=legal)
    in_review.refresh_from_db()
    assert in_review.status == DisclosureStatus.APPROVED
    assert sorted(a.role for a in in_review.approvals.all()) == ["legal", "manager"]


def test_edit_after_approval_voids_it_and_returns_to_draft(approved, responder, lead):
    services.disclosure_edit(disclosure=approved, actor=responder, body="Changed after approval.")
    approved.refresh_from_db()
    assert approved.status == DisclosureStatus.DRAFT
    approval = Approval.objects.get()
    assert approval.voided_at is not None
    with pytest.raises(IllegalTransition):
        services.disclosure_publish(disclosure=approved, actor=lead, channel="x", recipients="y")


def test_publication_freezes_the_text(approved, manager, responder):
    publication = services.disclosure_publish(
        disclosure=approved, actor=manager, channel="DPA portal", recipients="CNIL"
    )
    approved.refresh_from_db()
    assert approved.status == DisclosureStatus.PUBLISHED
    assert publication.version == approved.current_version
    assert publication.body_sha256 == approved.current_version.sha256
    with pytest.raises(IllegalTransition, match="frozen"):
        services.disclosure_edit(disclosure=approved, actor=responder, body="Too late.")
    with pytest.raises(IllegalTransition):
        services.disclosure_withdraw(disclosure=approved, actor=responder)


def test_late_gdpr_notice_needs_a_reason(make_incident, responder, manager):
    incident = make_incident(reporter=responder, aware_at=timezone.now() - dt.timedelta(hours=80))
    disclosure = services.disclosure_create(
        incident=incident, actor=responder, audience=Audience.REGULATOR, regime=Regime.GDPR_ART33
    )
    fill_blanks(disclosure, responder)
    services.disclosure_submit(disclosure=disclosure, actor=responder)
    services.disclosure_approve(disclosure=disclosure, actor=manager)
    with pytest.raises(ValidationError) as refused:
        services.disclosure_publish(
            disclosure=disclosure, actor=manager, channel="portal", recipients="DPA"
        )
    assert "late_reason" in refused.value.message_dict
    assert not Publication.objects.exists()
    services.disclosure_publish(
        disclosure=disclosure,
        actor=manager,
        channel="portal",
        recipients="DPA",
        late_reason="The scope was only known after forensic imaging.",
    )
    disclosure.refresh_from_db()
    assert disclosure.late_reason.startswith("The scope")


def test_withdraw_from_review_voids_nothing_left_standing(approved, responder):
    services.disclosure_withdraw(disclosure=approved, actor=responder, reason="Merged.")
    approved.refresh_from_db()
    assert approved.status == DisclosureStatus.WITHDRAWN
    assert not Approval.objects.filter(voided_at__isnull=True).exists()


def test_materiality_is_recorded_for_sec_only(incident, responder, draft):
    sec = services.disclosure_create(
        incident=incident, actor=responder, audience=Audience.REGULATOR, regime=Regime.SEC_8K
    )
    moment = timezone.now() - dt.timedelta(hours=1)
    services.disclosure_record_materiality(disclosure=sec, actor=responder, determined_at=moment)
    sec.refresh_from_db()
    assert sec.materiality_determined_at == moment
    with pytest.raises(ValidationError):
        services.disclosure_record_materiality(
            disclosure=draft, actor=responder, determined_at=moment
        )


@pytest.mark.parametrize(
    "channel", ["x -->\n# Injected", "por\rtal", "e\u202eliam", "\u200bportal", "a\x00b"]
)
def test_publish_refuses_a_channel_that_is_not_one_clean_line(approved, manager, channel):
    with pytest.raises(ValidationError) as caught:
        services.disclosure_publish(
            disclosure=approved, actor=manager, channel=channel, recipients="The authority"
        )
    assert list(caught.value.message_dict) == ["channel"]
    assert not Publication.objects.exists()
