"""Extraction: values found in the incident's description, timeline and text evidence
are proposed (refanged, typed, known-benign ones flagged by the MISP warning lists) and
only the ticked ones are added, as `extracted` or `evidence`."""

import pytest

from audit.models import AuditEvent
from evidence import services as evidence_services
from evidence.models import Kind
from incidents.services import timeline_entry_add
from observables.models import Observable
from tests.conftest import sign_in
from tests.evidence.conftest import make_upload, vault  # noqa: F401 (fixtures)
from tests.writes import writes_nothing

pytestmark = pytest.mark.django_db

DESCRIPTION = (
    "Users got mail linking hxxps://login-evil[.]net/reset from bob[@]evil-mail[.]net; "
    "the payload f23f22c8a5aad67eeb9156a16f099f16 (and an empty file, "
    "d41d8cd98f00b204e9800998ecf8427e) resolved through 8.8.8.8."
)
LOG = b"""2026-11-30T10:00:00Z sshd[42]: Failed password for root from 203.0.113.77 port 22
2026-11-30T10:00:05Z sshd[42]: Accepted password for root from 203.0.113.77 port 22
"""


def url(incident):
    return f"/observables/incidents/{incident.pk}/extract/"


@pytest.fixture
def described(make_incident, lead):
    incident = make_incident(reporter=lead, description=DESCRIPTION)
    timeline_entry_add(incident=incident, actor=lead, body="Exploited CVE-2024-3400 on the VPN")
    return incident


def test_values_are_proposed_and_nothing_is_added_by_looking(client, lead, described):
    sign_in(client, lead)
    with writes_nothing():
        response = client.get(url(described))
    assert response.status_code == 200
    html = response.content.decode()
    for value in (
        "https://login-evil.net/reset",
        "bob@evil-mail.net",
        "f23f22c8a5aad67eeb9156a16f099f16",
        "8.8.8.8",
        "CVE-2024-3400",
    ):
        assert value in html, value
    assert not Observable.objects.exists()


def test_a_known_benign_value_is_flagged_and_starts_unticked(client, lead, described):
    sign_in(client, lead)
    html = client.get(url(described)).content.decode()
    row = next(line for line in html.split("<tr") if "<code>8.8.8.8</code>" in line)
    assert "Known benign" in row
    assert "checked" not in row
    rows = html.split("<tr")
    empty_file = next(row for row in rows if "d41d8cd98f00b204e9800998ecf8427e" in row)
    assert "Known benign" in empty_file and "checked" not in empty_file  # an empty file's MD5
    payload = next(row for row in rows if "f23f22c8a5aad67eeb9156a16f099f16" in row)
    assert "checked" in payload and "Known benign" not in payload


def test_only_the_ticked_values_are_added_as_extracted(client, lead, described):
    sign_in(client, lead)
    response = client.post(
        url(described),
        {"pick": ["md5\t\tf23f22c8a5aad67eeb9156a16f099f16", "cve\t\tCVE-2024-3400"]},
    )
    assert response.status_code == 302
    kept = set(Observable.objects.values_list("type", "normalized_value", "source"))
    assert kept == {
        ("md5", "f23f22c8a5aad67eeb9156a16f099f16", "extracted"),
        ("cve", "CVE-2024-3400", "extracted"),
    }


def test_ticking_nothing_or_a_forged_value_adds_nothing(client, lead, described):
    sign_in(client, lead)
    with writes_nothing():
        empty = client.post(url(described), {})
        forged = client.post(url(described), {"pick": ["nonsense"]})
        wrong = client.post(url(described), {"pick": ["ipv4\t\tnot-an-address"]})
    assert empty.status_code == forged.status_code == wrong.status_code == 422
    assert "Tick at least one value" in empty.content.decode()


def test_values_in_a_log_file_are_proposed_and_added_with_their_evidence_item(
    client,
    lead,
    incident,
    make_upload,  # noqa: F811
):
    item = evidence_services.evidence_receive(
        incident=incident, actor=lead, uploaded_file=make_upload(LOG, "auth.log"), kind=Kind.LOG
    )
    evidence_services.evidence_hash_stored(evidence_id=item.pk)
    sign_in(client, lead)
    html = client.get(url(incident)).content.decode()
    assert "203.0.113.77" in html and f"evidence #{item.pk} auth.log" in html
    assert AuditEvent.objects.get(action="observables.extraction_read_evidence").data[
        "evidence"
    ] == [item.pk]
    client.post(url(incident), {"pick": [f"ipv4\t{item.pk}\t203.0.113.77"]})
    (obs,) = Observable.objects.all()
    assert (obs.source, obs.evidence_id) == ("evidence", item.pk)


def test_a_manager_who_may_not_add_observables_is_refused(client, manager, described):
    sign_in(client, manager)
    assert client.get(url(described)).status_code == 403


def test_a_restricted_incident_is_404_to_extract_from_outside_it(
    client, make_incident, lead, responder
):
    restricted = make_incident(reporter=lead, restricted=True, description=DESCRIPTION)
    sign_in(client, responder)
    assert client.get(url(restricted)).status_code == 404


def test_a_url_ends_where_the_sentence_does():
    from observables.extraction import _found

    found = _found("Go to hxxps://reset-portal[.]net/login; or (see https://a.net/x).")
    assert ("url", "https://reset-portal.net/login") in found
    assert ("url", "https://a.net/x") in found


def test_already_on_the_incident_shows_only_what_the_person_may_see(
    client, make_incident, make_member, lead
):
    from accounts.roles import Role
    from tests.observables.conftest import add

    reporter = make_member(Role.REPORTER, username="rita")
    incident = make_incident(reporter=reporter, description=DESCRIPTION)
    add(incident, lead, "8.8.8.8", type="ipv4")  # the lead's, not the reporter's

    def flagged(user) -> bool:
        sign_in(client, user)
        html = client.get(url(incident)).content.decode()
        row = next(line for line in html.split("<tr") if "<code>8.8.8.8</code>" in line)
        return "Already on the incident" in row

    assert flagged(lead)
    assert not flagged(reporter)
