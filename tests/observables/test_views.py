"""The Observables section of the incident page and the search page."""

import pytest

from audit.models import AuditEvent
from observables.models import Observable
from tests.conftest import sign_in
from tests.observables.conftest import add
from tests.writes import writes_nothing

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}

PASTE = """hxxp://evil[.]example/login
198.51.100[.]7
d41d8cd98f00b204e9800998ecf8427e
sha256: not-a-hash
just some words
"""


def paste_url(incident):
    return f"/observables/incidents/{incident.pk}/add/"


def test_checking_a_paste_shows_each_line_and_saves_nothing(client, lead, incident):
    sign_in(client, lead)
    with writes_nothing():
        response = client.post(paste_url(incident), {"text": PASTE, "check": "1"}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "http://evil.example/login" in html
    assert "198.51.100.7" in html
    assert "Refused:" in html and "SHA256 hash is 64" in html
    assert "Type not recognised" in html


def test_a_paste_adds_what_it_recognised_and_lists_what_it_refused(client, lead, incident):
    sign_in(client, lead)
    response = client.post(
        paste_url(incident), {"text": PASTE, "tlp": "red", "tags": "phish, wave 3"}, **HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "3 added, 0 updated, 0 already there, 2 refused." in html
    types = set(Observable.objects.values_list("type", flat=True))
    assert types == {"url", "ipv4", "md5"}
    assert set(Observable.objects.values_list("tlp", flat=True)) == {"red"}
    assert Observable.objects.first().tags == ["phish", "wave 3"]
    assert Observable.objects.first().source == "manual"
    again = client.post(paste_url(incident), {"text": "198.51.100.7"}, **HTMX)
    assert "0 added, 1 updated" in again.content.decode()


def test_a_paste_without_htmx_redirects_to_the_section(client, lead, incident):
    sign_in(client, lead)
    response = client.post(paste_url(incident), {"text": "evil.example"})
    assert response.status_code == 302
    assert response["Location"].endswith("#section-observables")


def test_a_paste_of_nothing_recognisable_is_422(client, lead, incident):
    sign_in(client, lead)
    with writes_nothing():
        response = client.post(paste_url(incident), {"text": "hello there\nfoo"}, **HTMX)
    assert response.status_code == 422
    assert "No line was recognised" in response.content.decode()


def test_a_ten_megabyte_paste_is_refused_and_writes_nothing(client, lead, incident):
    sign_in(client, lead)
    text = "evil.example\n" * (10 * 1024**2 // 13)
    with writes_nothing():
        response = client.post(paste_url(incident), {"text": text}, **HTMX)
    assert response.status_code == 413


def test_more_than_a_thousand_lines_are_refused(client, lead, incident):
    sign_in(client, lead)
    text = "\n".join(f"10.0.{n // 250}.{n % 250}" for n in range(1001))
    with writes_nothing():
        response = client.post(paste_url(incident), {"text": text}, **HTMX)
    assert response.status_code == 422
    assert "At most 1000 lines" in response.content.decode()


def test_the_section_shows_idn_and_homographs(client, lead, incident):
    add(incident, lead, "bücher.example", "pаypal.com")  # noqa: RUF001 - a look-alike
    sign_in(client, lead)
    html = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "xn--bcher-kva.example" in html and "bücher.example" in html
    assert "xn--pypal-4ve.com" in html
    assert "Look-alike: mixes scripts" in html


def test_marking_editing_and_deleting(client, lead, incident):
    (observable,) = add(incident, lead, "evil.example")
    sign_in(client, lead)
    response = client.post(
        f"/observables/{observable.pk}/mark/", {"flag": "is_ioc", "on": "1"}, **HTMX
    )
    assert response.status_code == 200
    observable.refresh_from_db()
    assert observable.is_ioc
    prefix = f"obs{observable.pk}"
    response = client.post(
        f"/observables/{observable.pk}/edit/",
        {f"{prefix}-tlp": "green", f"{prefix}-pap": "clear", f"{prefix}-tags": "a, b"},
        **HTMX,
    )
    assert response.status_code == 200, response.content
    observable.refresh_from_db()
    assert (observable.tlp, observable.pap, observable.tags) == ("green", "clear", ["a", "b"])
    refused = client.post(f"/observables/{observable.pk}/delete/", {}, **HTMX)
    assert refused.status_code == 422
    response = client.post(
        f"/observables/{observable.pk}/delete/", {f"delete{observable.pk}-reason": "dup"}, **HTMX
    )
    assert response.status_code == 200
    assert not Observable.objects.exists()
    assert AuditEvent.objects.filter(action="observable.deleted", data__reason="dup").exists()


def test_managers_see_the_section_without_forms(client, manager, lead, incident):
    add(incident, lead, "evil.example")
    sign_in(client, manager)
    html = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "evil.example" in html
    assert "Add observables" not in html and "Mark IOC" not in html
    (observable,) = Observable.objects.all()
    response = client.post(f"/observables/{observable.pk}/mark/", {"flag": "is_ioc", "on": "1"})
    assert response.status_code == 403


def test_filters_by_type_tlp_and_ioc(client, lead, incident):
    add(incident, lead, "evil.example", is_ioc=True)
    add(incident, lead, "198.51.100.7", type="ipv4", tlp="red")
    sign_in(client, lead)
    html = client.get(f"/observables/incidents/{incident.pk}/", {"obs_type": "ipv4"}, **HTMX)
    assert "198.51.100.7" in html.content.decode() and "evil.example" not in html.content.decode()
    html = client.get(f"/incidents/{incident.pk}/", {"obs_ioc": "yes"}).content.decode()
    assert "evil.example" in html and "198.51.100.7" not in html
    html = client.get(f"/incidents/{incident.pk}/", {"obs_tlp": "red"}).content.decode()
    assert "198.51.100.7" in html and "<code>evil.example</code>" not in html


def test_an_observable_of_an_incident_out_of_sight_is_404(client, lead, responder, make_incident):
    secret = make_incident(reporter=lead, restricted=True)
    (observable,) = add(secret, lead, "evil.example")
    sign_in(client, responder)
    for path in ("mark", "edit", "delete"):
        assert client.post(f"/observables/{observable.pk}/{path}/").status_code == 404
    assert client.post(paste_url(secret), {"text": "x.example"}).status_code == 404


def test_the_incident_page_and_list_show_the_tlp(client, lead, make_incident):
    incident = make_incident(reporter=lead, tlp="red", pap="green")
    sign_in(client, lead)
    html = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "TLP:RED" in html and "PAP:GREEN" in html
    assert "TLP:RED" in client.get("/incidents/").content.decode()


def test_filing_in_the_browser_takes_tlp_and_pap(client, lead):
    from incidents.models import Incident

    sign_in(client, lead)
    response = client.post(
        "/incidents/new/",
        {"title": "Leak", "severity": "low", "tlp": "amber+strict", "pap": "red"},
    )
    assert response.status_code == 302, response.content
    assert Incident.objects.values_list("tlp", "pap").get() == ("amber+strict", "red")
