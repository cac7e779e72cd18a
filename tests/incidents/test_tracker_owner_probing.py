"""The tracker's owner filter tells nobody which user names exist (issue 14): a name
nobody has looks exactly like the name of someone who owns no item."""

import re

import pytest
from django.test import Client

from accounts.roles import Role
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db

TRACKER = "/incidents/action-items/"
CSRF_TOKEN = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+(")')


def comparable(response) -> tuple:
    """Status, type and body, but for what differs on every request (csrf token)."""
    body = CSRF_TOKEN.sub(r"\1…\2", response.content.decode())
    return response.status_code, response["Content-Type"], body


def tracker_for(client, owner: str):
    return client.get(TRACKER, {"owner": owner})


@pytest.mark.parametrize("role", [Role.REPORTER, Role.RESPONDER, Role.LEAD])
def test_a_missing_user_name_looks_like_an_existing_one_with_no_items(role, make_member):
    make_member(Role.RESPONDER, username="existing-person")
    # The same length, so nothing of the name's echo in the page differs but the name.
    asking = make_member(role, username="asking")
    client = Client()
    sign_in(client, asking)

    existing = comparable(tracker_for(client, "existing-person"))
    missing = comparable(tracker_for(client, "missing--person"))

    assert existing[0] == missing[0] == 200
    assert existing[1] == missing[1]
    assert existing[2].replace("existing-person", "NAME") == missing[2].replace(
        "missing--person", "NAME"
    )
    assert "No action items match." in missing[2]
