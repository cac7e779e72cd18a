"""accounts.permissions_backend: every permission of a person in one query, with the
answers Django's ModelBackend gives, and ModelBackend then asking nothing more."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AnonymousUser, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.permissions_backend import PermissionsInOneQuery
from accounts.roles import Role

pytestmark = pytest.mark.django_db


def fresh(user):
    return get_user_model().objects.get(pk=user.pk)  # no permissions cached on it


def test_the_same_permissions_as_model_backend_for_every_role(make_member):
    for role in Role:
        member = make_member(role, username=f"m-{role.value}")
        assert PermissionsInOneQuery().get_all_permissions(fresh(member)) == (
            ModelBackend().get_all_permissions(fresh(member))
        ), role
        assert ModelBackend().get_all_permissions(fresh(member))  # every role holds some


def test_a_direct_permission_counts_as_the_model_backend_counts_it(make_member):
    member = make_member(Role.REPORTER, username="direct")
    extra = Permission.objects.get(codename="view_auditevent")
    member.user_permissions.add(extra)
    perms = PermissionsInOneQuery().get_all_permissions(fresh(member))
    assert "audit.view_auditevent" in perms
    assert perms == ModelBackend().get_all_permissions(fresh(member))


def test_inactive_anonymous_object_and_superuser_answers(make_member):
    member = make_member(Role.LEAD, username="gone")
    member.is_active = False
    member.save()
    backend = PermissionsInOneQuery()
    assert backend.get_all_permissions(fresh(member)) == set()
    assert backend.get_all_permissions(AnonymousUser()) == set()
    active = make_member(Role.LEAD, username="here")
    assert backend.get_all_permissions(fresh(active), obj=object()) == set()
    root = get_user_model().objects.create_superuser("root", "root@example.org", "x" * 20)
    assert backend.get_all_permissions(fresh(root)) == ModelBackend().get_all_permissions(
        fresh(root)
    )
    assert backend.authenticate(None, username="here", password="anything") is None


def test_one_query_answers_every_check_of_a_request(make_member):
    member = fresh(make_member(Role.RESPONDER, username="one-query"))
    with CaptureQueriesContext(connection) as queries:
        assert member.has_perm("incidents.add_incident")
        assert member.has_perm("incidents.change_incident")
        assert not member.has_perm("audit.view_auditevent")  # ModelBackend asked too
    assert len(queries) == 1
