"""The webhook SSRF guard and IPv6 addresses that carry an IPv4 address (issue 14):
NAT64, 6to4, Teredo, IPv4-compatible, -mapped and -translated addresses are judged by
the IPv4 address they lead to, when a URL is saved and at delivery, after DNS."""

import socket

import pytest
from django.core.exceptions import ValidationError

from notifications import webhooks
from notifications.models import WebhookEndpoint, WebhookEvent, WebhookStatus
from notifications.services import webhook_deliver, webhook_endpoint_create, webhook_publish
from notifications.webhooks import address_allowed, validate_webhook_url

# Each wraps a loopback, private, link-local or otherwise non-global IPv4 address.
INTERNAL = {
    "nat64-loopback": "64:ff9b::7f00:1",  # 127.0.0.1
    "nat64-private": "64:ff9b::a00:1",  # 10.0.0.1
    "nat64-metadata": "64:ff9b::a9fe:a9fe",  # 169.254.169.254
    "nat64-dotted": "64:ff9b::192.168.1.1",
    "nat64-local-use": "64:ff9b:1::a00:1",  # RFC 8215: into the operator's own network
    "nat64-local-use-any": "64:ff9b:1::808:808",  # the whole /48 is local
    "6to4-loopback": "2002:7f00:1::1",  # 127.0.0.1
    "6to4-private": "2002:c0a8:101::1",  # 192.168.1.1
    "teredo-client-loopback": "2001:0:4136:e378:8000:63bf:80ff:fffe",  # client ~ = 127.0.0.1
    "teredo-client-private": "2001:0:4136:e378:8000:63bf:f5ff:fffe",  # client ~ = 10.0.0.1
    "teredo-server-private": "2001:0:a00:1:8000:63bf:f7f7:f7f7",  # server 10.0.0.1
    "compatible-loopback": "::127.0.0.1",
    "compatible-private": "::a00:1",
    "mapped-loopback": "::ffff:127.0.0.1",
    "mapped-private": "::ffff:a00:1",
    "translated-loopback": "::ffff:0:127.0.0.1",
    "translated-private": "::ffff:0:a00:1",
    "translated-shared": "::ffff:0:100.64.0.1",  # carrier-grade NAT space
}

# The same forms around 8.8.8.8 (a Teredo client 8.8.8.8 is stored as f7f7:f7f7).
GLOBAL = {
    "nat64": "64:ff9b::808:808",
    "6to4": "2002:808:808::1",
    "teredo": "2001:0:4136:e378:8000:63bf:f7f7:f7f7",
    "compatible": "::8.8.8.8",
    "mapped": "::ffff:8.8.8.8",
    "translated": "::ffff:0:8.8.8.8",
    "plain-ipv6": "2606:4700:4700::1111",
    "plain-ipv4": "8.8.8.8",
}


@pytest.fixture
def strict(settings):
    settings.NOTIFICATIONS_ALLOW_PRIVATE_WEBHOOKS = False


@pytest.fixture
def dns(monkeypatch):
    """`dns["hook.example.test"] = "64:ff9b::7f00:1"`: what the resolver answers."""
    answers = {}
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in answers:
            return real(host, port, *args, **kwargs)
        answer = answers[host]
        if ":" in answer:
            return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (answer, port, 0, 0))]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answer, port))]

    monkeypatch.setattr(webhooks.socket, "getaddrinfo", getaddrinfo)
    return answers


@pytest.fixture
def no_connection(monkeypatch):
    """Fails the test if delivery opens any connection."""
    attempts = []

    def create_connection(address, *args, **kwargs):
        attempts.append(address)
        raise AssertionError(f"connected to {address}")

    monkeypatch.setattr(webhooks.socket, "create_connection", create_connection)
    return attempts


# --- The rule ------------------------------------------------------------------------


@pytest.mark.parametrize("address", INTERNAL.values(), ids=INTERNAL.keys())
def test_an_address_wrapping_an_internal_ipv4_address_is_not_allowed(address):
    assert address_allowed(address) is False


@pytest.mark.parametrize("address", GLOBAL.values(), ids=GLOBAL.keys())
def test_an_address_wrapping_a_global_ipv4_address_is_allowed(address):
    assert address_allowed(address) is True


# --- When a URL is saved ---------------------------------------------------------------


@pytest.mark.parametrize("address", INTERNAL.values(), ids=INTERNAL.keys())
def test_a_literal_url_is_refused_when_saved(strict, address):
    with pytest.raises(ValidationError):
        validate_webhook_url(f"https://[{address}]/hook")


@pytest.mark.django_db
@pytest.mark.parametrize("address", INTERNAL.values(), ids=INTERNAL.keys())
def test_the_service_refuses_it_naming_the_url_field(strict, address):
    with pytest.raises(ValidationError) as excinfo:
        webhook_endpoint_create(
            name="SOC", url=f"https://[{address}]/hook", events=[WebhookEvent.SECURITY_ALERT]
        )
    assert list(excinfo.value.message_dict) == ["url"]
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("address", ["64:ff9b::7f00:1", "2002:a00:1::1"], ids=["nat64", "6to4"])
def test_model_validation_refuses_it_too_so_the_admin_does(strict, address):
    endpoint = WebhookEndpoint(name="SOC", url=f"http://[{address}]/", secret="s")
    with pytest.raises(ValidationError) as excinfo:
        endpoint.full_clean()
    assert "url" in excinfo.value.message_dict


@pytest.mark.parametrize("address", INTERNAL.values(), ids=INTERNAL.keys())
def test_a_host_name_resolving_to_it_is_refused_when_saved(strict, dns, address):
    dns["hook.example.test"] = address
    with pytest.raises(ValidationError):
        validate_webhook_url("https://hook.example.test/hook")


@pytest.mark.parametrize("address", GLOBAL.values(), ids=GLOBAL.keys())
def test_a_url_leading_to_a_global_address_is_accepted(strict, dns, address):
    dns["hook.example.test"] = address
    validate_webhook_url("https://hook.example.test/hook")


# --- At delivery, after DNS ------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("address", INTERNAL.values(), ids=INTERNAL.keys())
def test_a_host_that_now_resolves_to_it_is_refused_at_delivery_without_connecting(
    strict, dns, no_connection, address
):
    dns["hook.example.test"] = "64:ff9b::808:808"  # global when the endpoint was saved
    webhook_endpoint_create(
        name="SOC", url="https://hook.example.test/hook", events=[WebhookEvent.SECURITY_ALERT]
    )
    (delivery,) = webhook_publish(event=WebhookEvent.SECURITY_ALERT, subject="Rebound")
    dns["hook.example.test"] = address  # DNS rebinding

    delivery = webhook_deliver(delivery_pk=delivery.pk)

    assert delivery.status == WebhookStatus.FAILED
    assert delivery.last_error.startswith("refused:")
    assert no_connection == []


def test_delivery_connects_to_the_very_address_it_checked(strict, dns, monkeypatch):
    dns["hook.example.test"] = "64:ff9b::808:808"
    connected = []

    def create_connection(address, *args, **kwargs):
        connected.append(address)
        raise ConnectionRefusedError("test: no network")

    monkeypatch.setattr(webhooks.socket, "create_connection", create_connection)
    with pytest.raises(ConnectionRefusedError):
        webhooks.post_json(
            url="http://hook.example.test/hook",
            payload={},
            secret="s",
            delivery_id="d",
            timestamp="0",
        )
    assert connected == [("64:ff9b::808:808", 80)]
