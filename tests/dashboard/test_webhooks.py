"""/webhooks/: leads only, step-up to create or delete, the secret shown once."""

import pytest

from notifications.models import WebhookEndpoint, WebhookEvent
from notifications.services import webhook_endpoint_create, webhook_publish
from tests.conftest import sign_in

URL = "http://127.0.0.1:9/hook"


@pytest.fixture(autouse=True)
def _private_webhooks_allowed(settings):
    settings.NOTIFICATIONS_ALLOW_PRIVATE_WEBHOOKS = True


def _form(**overrides):
    return {"name": "SOC", "url": URL, "events": [WebhookEvent.SECURITY_ALERT], "active": "on"} | (
        overrides
    )


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["responder", "auditor", "manager"])
def test_only_leads_see_the_page(client, request, role):
    sign_in(client, request.getfixturevalue(role))
    assert client.get("/webhooks/").status_code == 403
    assert client.post("/webhooks/new/", _form()).status_code == 403
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.django_db
def test_a_lead_creates_an_endpoint_and_sees_the_secret_once(client, lead):
    sign_in(client, lead)

    response = client.post("/webhooks/new/", _form())

    assert response.status_code == 200
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.created_by == lead
    assert endpoint.events == [WebhookEvent.SECURITY_ALERT]
    assert endpoint.secret in response.content.decode()
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    for page in ("/webhooks/", f"/webhooks/{endpoint.pk}/"):
        shown = client.get(page)
        assert shown.status_code == 200
        assert endpoint.secret not in shown.content.decode()


@pytest.mark.django_db
def test_creating_or_deleting_needs_a_fresh_step_up(client, lead):
    endpoint, _ = webhook_endpoint_create(name="Old", url=URL, events=["webhook.test"])
    sign_in(client, lead, step_up=False)

    created = client.post("/webhooks/new/", _form(name="New"))
    deleted = client.post(f"/webhooks/{endpoint.pk}/delete/")

    assert created.status_code == 302 and "/accounts/step-up" in created["Location"]
    assert deleted.status_code == 302 and "/accounts/step-up" in deleted["Location"]
    assert list(WebhookEndpoint.objects.values_list("name", flat=True)) == ["Old"]


@pytest.mark.django_db
def test_a_private_target_is_refused_by_the_form(client, lead, settings):
    settings.NOTIFICATIONS_ALLOW_PRIVATE_WEBHOOKS = False
    sign_in(client, lead)

    response = client.post("/webhooks/new/", _form(url="http://169.254.169.254/"))

    assert response.status_code == 422  # a refused form, as on every page (core.views)
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.django_db
def test_a_lead_deletes_an_endpoint_and_sees_its_deliveries(client, lead):
    endpoint, _ = webhook_endpoint_create(
        name="Pager", url=URL, events=[WebhookEvent.SECURITY_ALERT]
    )
    webhook_publish(event=WebhookEvent.SECURITY_ALERT, subject="Spike on web-1")
    sign_in(client, lead)

    page = client.get(f"/webhooks/{endpoint.pk}/")
    assert "Spike on web-1" in page.content.decode()

    response = client.post(f"/webhooks/{endpoint.pk}/delete/")
    assert response.status_code == 302
    assert not WebhookEndpoint.objects.exists()
