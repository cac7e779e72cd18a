"""One address, one person, in the database too: a password-reset link must reach exactly
one account, also when two invitations for the same address arrive at the same moment."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, connections, transaction

from accounts import services
from accounts.models import User
from accounts.roles import Role
from tests.incidents.test_races import _in_thread, _wait_until_someone_waits_on_a_lock


def test_the_database_refuses_a_second_person_with_the_same_address_in_any_case(db):
    User.objects.create(username="ann", email="Ann@Example.org")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="anne", email="ann@example.ORG")


def test_people_without_an_address_are_many(db):
    User.objects.create(username="one", email="")
    User.objects.create(username="two", email="")
    assert User.objects.filter(email="").count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_invitations_for_one_address_at_once_are_one_person_and_a_form_error(lead):
    if connection.vendor != "postgresql":
        pytest.skip("two writers at once need PostgreSQL (SQLite serialises them)")
    ready, release = threading.Event(), threading.Event()

    def first_invitation():
        try:
            with transaction.atomic():
                User.objects.create(username="first", email="same@example.org")
                ready.set()
                release.wait(10)
        finally:
            connections.close_all()

    holder = threading.Thread(target=first_invitation)
    holder.start()
    assert ready.wait(10)
    second, outcome = _in_thread(
        lambda: services.member_invite(
            actor=lead, username="second", role=Role.RESPONDER, email="SAME@example.org"
        )
    )
    _wait_until_someone_waits_on_a_lock()
    release.set()
    holder.join(10)
    second.join(10)
    assert isinstance(outcome.get("error"), ValidationError), outcome
    assert "email" in outcome["error"].message_dict
    assert list(
        User.objects.filter(email__iexact="same@example.org").values_list("username", flat=True)
    ) == ["first"]
