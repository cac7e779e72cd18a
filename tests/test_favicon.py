"""/favicon.ico is served (WhiteNoise, before any session or sign-in) and is not an
audited refusal; every page links the icon."""

import re

import pytest
from django.test import Client

from audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_favicon_is_served_to_anyone_and_not_audited():
    response = Client().get("/favicon.ico")
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert not AuditEvent.objects.filter(action__startswith="http.").exists()


def test_pages_link_the_icon():
    page = Client().get("/accounts/login/").content.decode()
    assert 'rel="icon"' in page
    assert re.search(r'href="[^"]*/favicon(\.[0-9a-f]+)?\.ico"', page)
