"""Shared fixtures: one person per role, an incident, API clients with tokens."""

import pytest
from rest_framework.test import APIClient

from accounts.roles import Role
from accounts.scopes import Scope
from tests.factories import IncidentFactory, MemberFactory, issue_token

ALL_SCOPES = tuple(Scope.values)


@pytest.fixture
def make_member(db):
    def make(role=Role.RESPONDER, **kwargs):
        return MemberFactory(role=role, **kwargs)

    return make


@pytest.fixture
def lead(make_member):
    return make_member(Role.LEAD, username="lea")


@pytest.fixture
def responder(make_member):
    return make_member(Role.RESPONDER, username="rick")


@pytest.fixture
def manager(make_member):
    return make_member(Role.MANAGER, username="mona")


@pytest.fixture
def legal(make_member):
    return make_member(Role.LEGAL, username="lars")


@pytest.fixture
def auditor(make_member):
    return make_member(Role.AUDITOR, username="audrey")


@pytest.fixture
def reporter(make_member):
    return make_member(Role.REPORTER, username="ronja")


@pytest.fixture
def incident(responder):
    return IncidentFactory(reporter=responder)


@pytest.fixture
def make_incident(db):
    return IncidentFactory


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def token_client(db):
    """`token_client(user, "incidents:read", ...)` → an APIClient sending that user's new token."""

    def make(user, *scopes):
        client = APIClient()
        raw = issue_token(user, *(scopes or ALL_SCOPES))
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        client.raw_token = raw
        return client

    return make
