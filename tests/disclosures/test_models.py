"""Versions and publications are kept as written: refused in code and, on PostgreSQL,
by trigger; an approval changes only once, from standing to voided."""

import pytest
from django.db import DatabaseError, connection, transaction

from disclosures import services
from disclosures.lifecycle import TRANSITIONS, DisclosureStatus, IllegalTransition, check_transition
from disclosures.models import (
    Approval,
    DisclosureVersion,
    ImmutableRecord,
    Publication,
    body_sha256,
)
from tests.conftest import assert_truncate_refused

pytestmark = pytest.mark.django_db

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the triggers exist on PostgreSQL only"
)


def test_withdrawn_is_reachable_from_every_state_but_published():
    for status in DisclosureStatus:
        if status in (DisclosureStatus.PUBLISHED, DisclosureStatus.WITHDRAWN):
            assert not TRANSITIONS[status]
        else:
            check_transition(status, DisclosureStatus.WITHDRAWN)
    with pytest.raises(IllegalTransition, match="published"):
        check_transition(DisclosureStatus.PUBLISHED, DisclosureStatus.WITHDRAWN)
    with pytest.raises(IllegalTransition):
        check_transition(DisclosureStatus.DRAFT, DisclosureStatus.APPROVED)


def test_a_version_records_the_hash_of_its_text(draft):
    version = draft.current_version
    assert version.number == 1
    assert version.sha256 == body_sha256(version.body)


def test_a_version_refuses_change_and_deletion_in_code(draft):
    version = draft.current_version
    version.body = "rewritten"
    with pytest.raises(ImmutableRecord):
        version.save()
    with pytest.raises(ImmutableRecord):
        version.delete()
    with pytest.raises(ImmutableRecord):
        DisclosureVersion.objects.filter(pk=version.pk).update(body="rewritten")
    with pytest.raises(ImmutableRecord):
        DisclosureVersion.objects.filter(pk=version.pk).delete()


def test_an_approval_is_only_ever_voided(approved):
    approval = approved.approvals.get()
    approval.body_sha256 = "0" * 64
    with pytest.raises(ImmutableRecord):
        approval.save()
    with pytest.raises(ImmutableRecord):
        approval.delete()


@needs_postgresql
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE disclosures_disclosureversion SET body = 'forged'",
        "DELETE FROM disclosures_disclosureversion",
        "UPDATE disclosures_approval SET body_sha256 = 'forged'",
        "DELETE FROM disclosures_approval",
        "UPDATE disclosures_publication SET recipients = 'someone else'",
        "DELETE FROM disclosures_publication",
    ],
)
def test_postgresql_refuses_rewriting_the_record(approved, manager, statement):
    services.disclosure_publish(
        disclosure=approved, actor=manager, channel="e-mail", recipients="dpa@example.org"
    )
    assert Publication.objects.exists() and Approval.objects.exists()
    with (
        pytest.raises(DatabaseError, match="refused"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)


@needs_postgresql
@pytest.mark.parametrize(
    "model", [DisclosureVersion, Approval, Publication], ids=["version", "approval", "publication"]
)
def test_postgresql_refuses_truncate(approved, manager, model):
    services.disclosure_publish(
        disclosure=approved, actor=manager, channel="e-mail", recipients="dpa@example.org"
    )
    assert_truncate_refused(model._meta.db_table)
    assert model.objects.exists()


@needs_postgresql
def test_postgresql_lets_an_approval_be_voided_once(approved, responder):
    services.disclosure_edit(disclosure=approved, actor=responder, body="New text.")
    approval = Approval.objects.get()
    assert approval.voided_at is not None
    with (
        pytest.raises(DatabaseError, match="refused"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE disclosures_approval SET voided_at = NULL")
