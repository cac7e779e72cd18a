"""The evidence write services check, themselves, that the actor holds the permission
*and* may see what they write to (CONVENTIONS.md 8b): the views' 404 is not the only
gate. Each case calls the service directly as someone the view would have stopped, and
checks that nothing was stored or written."""

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied

from accounts.models import User
from accounts.roles import Role
from audit.models import AuditEvent
from evidence import services
from evidence.models import Action, CustodyEvent, EvidenceHold, EvidenceItem
from evidence.storage import evidence_store
from tests.evidence.conftest import stored_files

pytestmark = pytest.mark.django_db


@pytest.fixture
def secret(make_incident, lead):
    """A restricted incident with no crew: only leads and auditors see it."""
    return make_incident(reporter=lead, restricted=True)


@pytest.fixture
def secret_item(secret, lead, make_upload):
    return services.evidence_receive(
        incident=secret, actor=lead, uploaded_file=make_upload(b"the attacker's tool")
    )


def granted(user, codename: str) -> User:
    """The user, with an evidence permission their role lacks granted directly (fetched
    again: Django caches a user's permissions on the object)."""
    user.user_permissions.add(
        Permission.objects.get(codename=codename, content_type__app_label="evidence")
    )
    return User.objects.get(pk=user.pk)


def test_a_responder_cannot_add_evidence_to_a_restricted_incident_out_of_sight(
    responder, secret, make_upload, vault
):
    assert responder.has_perm("evidence.add_evidenceitem")
    upload = make_upload(b"planted evidence")
    events_before = AuditEvent.objects.count()

    with pytest.raises(PermissionDenied):
        services.evidence_receive(incident=secret, actor=responder, uploaded_file=upload)

    assert stored_files(vault / "objects") == []
    assert not EvidenceItem.objects.exists()
    assert AuditEvent.objects.count() == events_before
    assert upload.size == len(b"planted evidence")


def test_a_reporter_adds_evidence_to_what_they_filed_and_nothing_else(
    make_member, make_incident, responder, make_upload, vault
):
    reporter = make_member(Role.REPORTER, username="rita")
    own = make_incident(reporter=reporter)
    someone_elses = make_incident(reporter=responder)

    with pytest.raises(PermissionDenied):
        services.evidence_receive(
            incident=someone_elses, actor=reporter, uploaded_file=make_upload(b"not yours")
        )
    item = services.evidence_receive(
        incident=own, actor=reporter, uploaded_file=make_upload(b"a phishing mail")
    )

    assert list(EvidenceItem.objects.values_list("pk", flat=True)) == [item.pk]
    assert stored_files(vault / "objects") == [evidence_store().path(item.storage_key)]


def test_an_inactive_person_cannot_add_evidence(responder, incident, make_upload, vault):
    responder.is_active = False
    with pytest.raises(PermissionDenied):
        services.evidence_receive(
            incident=incident, actor=responder, uploaded_file=make_upload(b"late")
        )
    assert stored_files(vault / "objects") == []


def test_a_responder_cannot_hand_over_an_item_out_of_sight(responder, secret_item):
    assert responder.has_perm("evidence.transfer_evidence")

    with pytest.raises(PermissionDenied):
        services.evidence_transfer(
            item=secret_item, actor=responder, recipient="Police", reason="Order"
        )

    assert not CustodyEvent.objects.filter(action=Action.TRANSFERRED).exists()
    assert not AuditEvent.objects.filter(action="evidence.transferred").exists()


def test_disposal_needs_the_item_in_sight_as_well_as_the_permission(
    responder, secret_item, django_capture_on_commit_callbacks
):
    person = granted(responder, "dispose_evidence")

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(PermissionDenied),
    ):
        services.evidence_dispose(item=secret_item, actor=person, reason="retention")

    assert EvidenceItem.objects.get(pk=secret_item.pk).disposed_at is None
    assert evidence_store().exists(secret_item.storage_key)
    assert not CustodyEvent.objects.filter(action=Action.DISPOSED).exists()


def test_disposal_needs_the_item_itself_in_sight_not_only_its_incident(
    make_member, make_incident, responder, make_upload
):
    """A reporter sees the incident they filed but only the items they uploaded."""
    reporter = granted(make_member(Role.REPORTER, username="rita"), "dispose_evidence")
    own = make_incident(reporter=reporter)
    theirs = services.evidence_receive(
        incident=own, actor=responder, uploaded_file=make_upload(b"a responder's capture")
    )

    with pytest.raises(PermissionDenied):
        services.evidence_dispose(item=theirs, actor=reporter, reason="mine to remove")

    assert EvidenceItem.objects.get(pk=theirs.pk).disposed_at is None


def test_a_legal_hold_needs_the_incident_in_sight_as_well_as_the_permission(responder, secret):
    person = granted(responder, "manage_legal_hold")

    with pytest.raises(PermissionDenied):
        services.evidence_hold_set(incident=secret, actor=person, active=False, reason="lifted")

    assert not EvidenceHold.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="evidence.legal_hold").exists()


def test_leads_still_do_all_of_it(lead, secret, secret_item, django_capture_on_commit_callbacks):
    services.evidence_hold_set(incident=secret, actor=lead, active=False, reason="no litigation")
    services.evidence_transfer(item=secret_item, actor=lead, recipient="Lab", reason="Copy")
    with django_capture_on_commit_callbacks(execute=True):
        services.evidence_dispose(item=secret_item, actor=lead, reason="retention")

    assert EvidenceItem.objects.get(pk=secret_item.pk).disposed_at is not None
    assert not evidence_store().exists(secret_item.storage_key)
