"""Resource isolation with Fetch Metadata: another site's page can embed or fetch
nothing from Cordon, and cannot tell whether its visitor is signed in."""

import pytest
from django.templatetags.static import static

from audit.models import AuditEvent
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db

EMBEDS = [
    # (method, Sec-Fetch-Mode, Sec-Fetch-Dest): what another site's page can send
    ("GET", "no-cors", "image"),
    ("GET", "no-cors", "script"),
    ("GET", "no-cors", "style"),
    ("GET", "navigate", "iframe"),
    ("GET", "cors", "empty"),
    ("GET", "no-cors", "empty"),
    ("POST", "navigate", "document"),  # a cross-site form post
]
PATHS = ["/", "/incidents/", "/accounts/security/", "/api/v1/incidents/", "/accounts/login/"]


def _cross_site(client, method, mode, dest, path):
    headers = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": mode, "Sec-Fetch-Dest": dest}
    return getattr(client, method.lower())(path, headers=headers)


def _fingerprint(response):
    """Everything a page elsewhere could observe, minus the random request id."""
    headers = {k: v for k, v in response.headers.items() if k != "X-Request-ID"}
    return response.status_code, response.content, headers, dict(response.cookies)


@pytest.mark.parametrize(("method", "mode", "dest"), EMBEDS)
@pytest.mark.parametrize("path", PATHS)
def test_cross_site_embeds_get_the_same_403_signed_in_or_out(
    client, lead, method, mode, dest, path
):
    anonymous = _cross_site(client, method, mode, dest, path)
    sign_in(client, lead)
    signed_in = _cross_site(client, method, mode, dest, path)

    assert anonymous.status_code == 403
    assert _fingerprint(anonymous) == _fingerprint(signed_in)
    assert "Set-Cookie" not in signed_in


def test_a_cross_site_embed_does_nothing_for_a_signed_in_visitor(client, lead, incident):
    sign_in(client, lead)
    response = client.post(
        f"/incidents/{incident.pk}/",
        {"title": "changed"},
        headers={"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors"},
    )
    assert response.status_code == 403
    incident.refresh_from_db()
    assert incident.title != "changed"


def test_refusal_is_audited(client):
    _cross_site(client, "GET", "no-cors", "image", "/incidents/")
    event = AuditEvent.objects.get(action="http.403")
    assert event.data["path"] == "/incidents/"


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_a_link_followed_from_another_site_still_works(client, lead, method):
    sign_in(client, lead)
    response = _cross_site(client, method, "navigate", "document", "/incidents/")
    # The list answers GET only: HEAD gets past the isolation policy to the view's 405.
    assert response.status_code == (200 if method == "GET" else 405)


def test_a_link_followed_from_another_site_leads_anonymous_visitors_to_sign_in(client):
    response = _cross_site(client, "GET", "navigate", "document", "/incidents/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("site", ["same-origin", "same-site", "none", None])
def test_own_and_direct_requests_pass(client, lead, site):
    sign_in(client, lead)
    headers = {"Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty"}
    if site is not None:
        headers["Sec-Fetch-Site"] = site
    assert client.get("/incidents/", headers=headers).status_code == 200


def test_scripts_without_fetch_metadata_use_the_api(token_client, lead):
    assert token_client(lead).get("/api/v1/incidents/").status_code == 200


def test_health_and_static_files_may_be_fetched_from_anywhere(client):
    for path in ("/healthz", static("css/cordon.css")):
        response = _cross_site(client, "GET", "no-cors", "style", path)
        assert response.status_code == 200, path


# --- GETs that write: only from Cordon's own pages (core.fetch_metadata) -------------

# Every view whose GET writes something (custody events, audit events), by URL name.
# The evidence detail page is not here on purpose: it records a `viewed` custody event,
# but it is the page notification e-mails link to, and what it records (the page was
# shown to this person) is true however they got there.
WRITING_GETS = {
    "evidence:download",
    "evidence:export",
    "evidence:preview",
    "dashboard:incident_report",
    "disclosures:export_markdown",
    "disclosures:export_print",
    "observables:export",
    "observables:extract",
}


def _named_views(resolver=None, namespace=""):
    from django.urls import URLPattern, URLResolver, get_resolver

    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _named_views(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", entry.callback


def test_every_get_that_writes_refuses_other_sites():
    from core.fetch_metadata import WRITES_ON_GET

    marked = {name for name, view in _named_views() if getattr(view, WRITES_ON_GET, False)}
    assert marked == WRITING_GETS


@pytest.mark.parametrize(
    ("method", "site", "refused"),
    [
        ("GET", "cross-site", True),
        ("GET", "same-site", True),
        ("HEAD", "cross-site", True),
        ("GET", "same-origin", False),
        ("GET", "none", False),
        ("GET", None, False),
        ("POST", "same-origin", False),
    ],
)
def test_the_decorator_refuses_gets_from_other_sites_only(rf, method, site, refused):
    from django.contrib.auth.models import AnonymousUser
    from django.http import HttpResponse

    from core.fetch_metadata import require_same_origin_for_get

    ran = []

    @require_same_origin_for_get
    def view(request):
        ran.append(request.method)
        return HttpResponse("done")

    headers = {"Sec-Fetch-Site": site} if site else {}
    request = rf.generic(method, "/somewhere/?x=1", headers=headers)
    request.user = AnonymousUser()
    response = view(request)
    assert (response.status_code == 403) == refused
    assert ran == ([] if refused else [method])
    if refused:
        assert response["Cache-Control"] == "no-store"
        assert 'href="/somewhere/?x=1"' in response.content.decode()
