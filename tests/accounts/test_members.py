"""Members through HTTP: only leads manage people; invitations by e-mailed one-time link;
role changes; deactivation shuts a person out at once (sessions and API tokens)."""

import json
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from accounts import services
from accounts.models import ApiToken, Invitation, User, hash_token
from accounts.roles import Role
from audit.models import AuditEvent
from notifications.models import Notification
from notifications.services import notification_deliver
from tests.conftest import sign_in
from tests.incidents.test_views import assert_csp_safe

pytestmark = pytest.mark.django_db

PAGE = "/accounts/members/"
INVITE = "/accounts/members/invite/"
API = "/api/v1/incidents/"
LINK = re.compile(re.escape(django_settings.SITE_URL) + r"(/accounts/invitation/([A-Za-z0-9_-]+)/)")
PASSWORD = "a-Strong-passphrase-42"
INVITEE = {"username": "ines", "email": "ines@example.org", "role": Role.RESPONDER}


def text(response) -> str:
    return response.content.decode()


def assert_sent_to_step_up(response, back_to=PAGE):
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == "/accounts/step-up/"
    assert parse_qs(location.query) == {"next": [back_to]}


@pytest.fixture
def lead_client(client, lead):
    sign_in(client, lead)
    return client


def invite(lead_client, **overrides) -> str:
    """Invite through the page; return the link path from the e-mail that was sent."""
    sent_before = Notification.objects.count()
    response = lead_client.post(INVITE, {**INVITEE, **overrides})
    assert response.status_code == 302, text(response)
    assert Notification.objects.count() == sent_before + 1
    notification = Notification.objects.order_by("-id").first()
    notification_deliver(notification_id=notification.pk)
    return LINK.search(mail.outbox[-1].body).group(1)


def choose_password(client, link, password=PASSWORD):
    return client.post(link, {"new_password1": password, "new_password2": password})


# --- Who may manage members --------------------------------------------------------------


@pytest.mark.parametrize("role", [r for r in Role.values if r != Role.LEAD])
def test_only_leads_reach_the_members_page(client, make_member, role):
    person = make_member(role, username=f"someone-{role}")
    sign_in(client, person)
    assert client.get(PAGE).status_code == 403
    assert client.post(INVITE, INVITEE).status_code == 403
    assert not User.objects.filter(username="ines").exists()
    assert 'href="/accounts/members/"' not in text(client.get("/incidents/"))


def test_non_lead_cannot_deactivate_or_change_roles(client, responder, manager):
    sign_in(client, responder)
    assert client.post(f"/accounts/members/{manager.pk}/deactivate/").status_code == 403
    assert client.post(f"/accounts/members/{manager.pk}/role/", {"role": "lead"}).status_code == 403
    manager.refresh_from_db()
    assert manager.is_active and manager.role == Role.MANAGER


def test_lead_sees_every_member_with_role_and_second_factor(lead_client, responder, auditor):
    TOTPDevice.objects.create(user=responder, name="phone", confirmed=True)
    response = lead_client.get(PAGE)
    assert response.status_code == 200
    body = text(response)
    assert "rick" in body and "rick@example.org" in body and "audrey" in body
    rick_row = body.split(f'id="member-{responder.pk}"', 1)[1].split("</tr>", 1)[0]
    audrey_row = body.split(f'id="member-{auditor.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "yes" in rick_row and "not yet" in audrey_row
    assert 'href="/accounts/members/"' in body
    assert_csp_safe(response)


# --- Invitations -------------------------------------------------------------------------


def test_invited_person_sets_a_password_through_the_link_and_lands_on_enrolment(lead_client, lead):
    link = invite(lead_client)

    ines = User.objects.get(username="ines")
    assert ines.role == Role.RESPONDER
    assert not ines.has_usable_password()
    assert mail.outbox[-1].to == ["ines@example.org"]
    raw = link.rstrip("/").rsplit("/", 1)[1]
    invitation = Invitation.objects.get(user=ines)
    assert invitation.token_hash == hash_token(raw)
    assert invitation.invited_by == lead
    assert timedelta(hours=71) < invitation.expires_at - timezone.now() <= timedelta(hours=72)
    assert AuditEvent.objects.filter(action="member.invited", actor=lead).exists()
    # The one-time link is a secret: never in the audit log, gone from the outbox once sent.
    assert not [e.pk for e in AuditEvent.objects.all() if raw in json.dumps(e.data)]
    assert not Notification.objects.filter(body__contains=raw).exists()
    assert "ines" in text(lead_client.get(PAGE))

    browser = Client()
    page = browser.get(link)
    assert page.status_code == 200
    assert 'name="new_password1"' in text(page)
    assert_csp_safe(page)

    response = choose_password(browser, link)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/setup/"
    ines.refresh_from_db()
    assert ines.check_password(PASSWORD)
    assert Invitation.objects.get(user=ines).accepted_at is not None
    # Signed in, but held at enrolment until an authenticator is confirmed.
    assert browser.get("/accounts/2fa/setup/").status_code == 200
    assert browser.get("/incidents/")["Location"] == "/accounts/2fa/setup/"
    assert AuditEvent.objects.filter(action="member.invitation_accepted", actor=ines).exists()


def test_invitation_ttl_comes_from_settings(lead_client, settings):
    settings.INVITATION_TTL_HOURS = 2
    invite(lead_client)
    left = Invitation.objects.get().expires_at - timezone.now()
    assert timedelta(hours=1) < left <= timedelta(hours=2)


def test_an_invitation_link_works_once(lead_client):
    link = invite(lead_client)
    assert choose_password(Client(), link).status_code == 302

    again = Client()
    page = again.get(link)
    assert page.status_code == 410
    assert "not valid any more" in text(page)
    response = choose_password(again, link, password="a-Different-phrase-99")
    assert response.status_code == 410
    assert User.objects.get(username="ines").check_password(PASSWORD)
    assert "_auth_user_id" not in again.session


def test_an_expired_invitation_link_is_refused(lead_client):
    link = invite(lead_client)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    browser = Client()
    assert browser.get(link).status_code == 410
    assert choose_password(browser, link).status_code == 410
    assert not User.objects.get(username="ines").has_usable_password()


def test_unknown_and_used_links_get_the_same_answer(lead_client):
    link = invite(lead_client)
    choose_password(Client(), link)
    used = Client().get(link)
    unknown = Client().get("/accounts/invitation/not-a-real-token-at-all/")
    assert used.status_code == unknown.status_code == 410
    assert text(used) == text(unknown)


def test_a_weak_password_is_refused_and_the_link_stays_open(lead_client):
    link = invite(lead_client)
    browser = Client()
    response = choose_password(browser, link, password="password1234")
    assert response.status_code == 422
    assert "too common" in text(response)
    assert not User.objects.get(username="ines").has_usable_password()
    assert choose_password(browser, link).status_code == 302


def test_re_inviting_sends_a_new_link_and_voids_the_old_one(lead_client):
    first = invite(lead_client)
    second = invite(lead_client, email="ines.new@example.org")

    assert first != second
    assert mail.outbox[-1].to == ["ines.new@example.org"]
    assert Client().get(first).status_code == 410
    assert choose_password(Client(), second).status_code == 302


def test_an_existing_member_cannot_be_invited_again(lead_client, responder):
    response = lead_client.post(INVITE, {**INVITEE, "username": responder.username})
    assert response.status_code == 422
    assert "already has an account" in text(response)
    assert not Invitation.objects.exists()
    assert not Notification.objects.exists()


def test_an_e_mail_address_belongs_to_one_person(lead_client, responder):
    response = lead_client.post(INVITE, {**INVITEE, "email": responder.email.upper()})
    assert response.status_code == 422
    assert "Another person already uses this e-mail address." in text(response)
    assert not User.objects.filter(username="ines").exists()


def test_inviting_needs_a_fresh_step_up(client, lead):
    sign_in(client, lead, step_up=False)
    response = client.post(INVITE, INVITEE)
    assert_sent_to_step_up(response)
    assert not User.objects.filter(username="ines").exists()
    assert not Notification.objects.exists()


def test_a_deactivated_invitees_link_is_refused(lead_client, lead):
    link = invite(lead_client)
    lead_client.post(f"/accounts/members/{User.objects.get(username='ines').pk}/deactivate/")
    assert Client().get(link).status_code == 410


# --- Roles -------------------------------------------------------------------------------


def test_lead_changes_a_members_role(lead_client, responder):
    response = lead_client.post(f"/accounts/members/{responder.pk}/role/", {"role": "manager"})
    assert response.status_code == 302
    assert User.objects.get(pk=responder.pk).role == Role.MANAGER


def test_changing_a_role_needs_a_fresh_step_up(client, lead, responder):
    sign_in(client, lead, step_up=False)
    response = client.post(f"/accounts/members/{responder.pk}/role/", {"role": "lead"})
    assert_sent_to_step_up(response)
    assert User.objects.get(pk=responder.pk).role == Role.RESPONDER


def test_a_lead_cannot_change_their_own_role(lead_client, lead):
    response = lead_client.post(f"/accounts/members/{lead.pk}/role/", {"role": "reporter"})
    assert response.status_code == 302
    assert User.objects.get(pk=lead.pk).role == Role.LEAD
    assert "You cannot change your own role." in text(lead_client.get(PAGE))


def test_an_unknown_role_is_refused(lead_client, responder):
    lead_client.post(f"/accounts/members/{responder.pk}/role/", {"role": "superuser"})
    assert User.objects.get(pk=responder.pk).role == Role.RESPONDER


# --- Deactivation ------------------------------------------------------------------------


def test_deactivation_ends_sessions_and_revokes_tokens_at_once(lead_client, lead, responder):
    their_browser = Client()
    sign_in(their_browser, responder)
    assert their_browser.get("/incidents/").status_code == 200
    _, raw = services.api_token_issue(
        actor=responder, user=responder, name="script", scopes=["incidents:read"]
    )
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get(API).status_code == 200

    response = lead_client.post(f"/accounts/members/{responder.pk}/deactivate/")

    assert response.status_code == 302
    responder.refresh_from_db()
    assert responder.is_active is False
    answer = their_browser.get("/incidents/")
    assert answer.status_code == 302
    assert answer["Location"].startswith("/accounts/login/")
    assert api.get(API).status_code == 401
    assert not ApiToken.objects.filter(user=responder, revoked_at__isnull=True).exists()
    event = AuditEvent.objects.get(action="member.deactivated")
    assert event.actor == lead
    assert event.data["sessions_ended"] == 1 and event.data["tokens_revoked"] == 1
    assert "deactivated" in text(lead_client.get(PAGE))


def test_a_deactivated_member_cannot_sign_in(lead_client, make_member, responder):
    services.member_save(
        actor=None, username=responder.username, role=Role.RESPONDER, password=PASSWORD
    )
    lead_client.post(f"/accounts/members/{responder.pk}/deactivate/")
    response = Client().post(
        "/accounts/login/", {"username": responder.username, "password": PASSWORD}
    )
    assert response.status_code == 200
    assert "Please enter a correct username and password" in text(response)


def test_deactivation_needs_a_fresh_step_up(client, lead, responder):
    sign_in(client, lead, step_up=False)
    response = client.post(f"/accounts/members/{responder.pk}/deactivate/")
    assert_sent_to_step_up(response)
    responder.refresh_from_db()
    assert responder.is_active


def test_a_lead_cannot_deactivate_themselves(lead_client, lead):
    response = lead_client.post(f"/accounts/members/{lead.pk}/deactivate/")
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.is_active
    page = lead_client.get(PAGE)
    assert page.status_code == 200
    assert "You cannot deactivate yourself." in text(page)


def test_reactivation_lets_the_member_back_in_but_keeps_tokens_revoked(lead_client, responder):
    _, raw = services.api_token_issue(
        actor=responder, user=responder, name="script", scopes=["incidents:read"]
    )
    lead_client.post(f"/accounts/members/{responder.pk}/deactivate/")

    response = lead_client.post(f"/accounts/members/{responder.pk}/reactivate/")

    assert response.status_code == 302
    responder.refresh_from_db()
    assert responder.is_active
    browser = Client()
    sign_in(browser, responder)
    assert browser.get("/incidents/").status_code == 200
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get(API).status_code == 401
    assert AuditEvent.objects.filter(action="member.reactivated").exists()


def test_members_page_queries_do_not_grow_with_the_team(
    lead_client, make_member, django_assert_max_num_queries
):
    for number in range(15):
        make_member(Role.RESPONDER, username=f"responder{number}")
    with django_assert_max_num_queries(20):
        assert lead_client.get(PAGE).status_code == 200
