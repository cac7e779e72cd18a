"""The newcomer's journey: sign in with the printed one-time password, change it,
and file an incident in the browser."""

import re

import pytest

from accounts.services import first_lead_ensure
from incidents.models import Incident

pytestmark = pytest.mark.django_db(transaction=True)

NEW_PASSWORD = "correct-Horse-battery-9"


def test_first_lead_signs_in_changes_password_and_files_an_incident(page):
    lead, one_time_password = first_lead_ensure()

    page.goto("/accounts/login/")
    page.fill("input[name=username]", lead.username)
    page.fill("input[name=password]", one_time_password)
    page.click("form:has(input[name=password]) [type=submit]")

    page.wait_for_url(re.compile(r"/accounts/password/"))
    page.fill("input[name=old_password]", one_time_password)
    page.fill("input[name=new_password1]", NEW_PASSWORD)
    page.fill("input[name=new_password2]", NEW_PASSWORD)
    page.click("form:has(input[name=new_password1]) [type=submit]")
    page.wait_for_url(re.compile(r"/incidents/$"))

    page.goto("/incidents/new/")
    page.fill("input[name=title]", "Credential stuffing against the login page")
    page.select_option("select[name=severity]", "high")
    page.click("form:has(input[name=title]) [type=submit]")

    page.wait_for_url(re.compile(r"/incidents/\d+/$"))
    incident = Incident.objects.get()
    assert incident.title == "Credential stuffing against the login page"
    assert incident.reporter == lead
    assert incident.reference in page.content()

    lead.refresh_from_db()
    assert lead.must_change_password is False
    assert lead.check_password(NEW_PASSWORD)
