"""The observables API (CONTRACT.md, "Observables"): add one or many, list with related
incidents, change, delete with a reason, look up; scopes, limits, statements."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from observables.models import Observable
from tests.observables.conftest import add
from tests.writes import writes_nothing

pytestmark = pytest.mark.django_db


def url(incident, pk=None):
    base = f"/api/v1/incidents/{incident.pk}/observables/"
    return f"{base}{pk}/" if pk else base


def test_one_object_is_created_with_its_normalised_value(token_client, lead, incident):
    api = token_client(lead, "observables:write")
    response = api.post(url(incident), {"type": "domain", "value": "Evil[.]Example.COM."})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["created"] is True
    assert body["normalized_value"] == "evil.example.com"
    assert body["value"] == "Evil[.]Example.COM."
    assert body["tlp"] == incident.tlp == "amber"
    assert body["pap"] == "amber"
    assert body["source"] == "api"


def test_a_list_creates_each_and_an_existing_value_is_updated_not_duplicated(
    token_client, lead, incident
):
    api = token_client(lead, "observables:write")
    first = api.post(
        url(incident),
        [
            {"type": "ipv4", "value": "192.0.2.7"},
            {"type": "sha256", "value": "A" * 64, "is_ioc": True, "tags": ["dropper"]},
        ],
    )
    assert first.status_code == 201, first.content
    again = api.post(
        url(incident),
        [
            {"type": "ipv4", "value": "192.0.2[.]7", "tlp": "red", "tags": ["c2"]},
            {"type": "sha256", "value": "a" * 64},
        ],
    )
    assert again.status_code == 200, again.content
    assert [item["created"] for item in again.json()] == [False, False]
    assert [item["id"] for item in again.json()] == [item["id"] for item in first.json()]
    assert Observable.objects.filter(incident=incident).count() == 2
    address = Observable.objects.get(type="ipv4")
    assert address.tlp == "red"
    assert address.tags == ["c2"]
    hash_ = Observable.objects.get(type="sha256")
    assert hash_.is_ioc is True  # not given again: kept
    assert hash_.tags == ["dropper"]


def test_a_mixed_list_is_201_and_says_which_existed(token_client, lead, incident):
    add(incident, lead, "old.example")
    api = token_client(lead, "observables:write")
    response = api.post(
        url(incident),
        [{"type": "domain", "value": "old.example"}, {"type": "domain", "value": "new.example"}],
    )
    assert response.status_code == 201
    assert [(i["normalized_value"], i["created"]) for i in response.json()] == [
        ("old.example", False),
        ("new.example", True),
    ]


def test_a_value_that_does_not_fit_its_type_is_400_naming_the_field(token_client, lead, incident):
    api = token_client(lead, "observables:write")
    with writes_nothing(refusal_actions=()):
        response = api.post(url(incident), {"type": "ipv4", "value": "999.1.1.1"})
    assert response.status_code == 400
    assert set(response.json()) - {"request_id"} == {"value"}


def test_one_bad_item_in_a_list_refuses_the_whole_list(token_client, lead, incident):
    api = token_client(lead, "observables:write")
    with writes_nothing():
        response = api.post(
            url(incident),
            [{"type": "domain", "value": "ok.example"}, {"type": "md5", "value": "not-a-hash"}],
        )
    assert response.status_code == 400
    assert response.json()["value"][0].startswith("Item 2:"), response.json()


def test_1001_items_are_400_and_nothing_is_written(token_client, lead, incident):
    api = token_client(lead, "observables:write")
    items = [{"type": "ipv4", "value": f"10.0.{n // 250}.{n % 250}"} for n in range(1001)]
    with writes_nothing():
        response = api.post(url(incident), items)
    assert response.status_code == 400
    assert "1000" in response.json()["non_field_errors"][0]


def test_a_body_of_ten_megabytes_is_413_and_nothing_is_written(token_client, lead, incident):
    api = token_client(lead, "observables:write")
    value = "x" * (10 * 1024**2)
    with writes_nothing():
        response = api.post(url(incident), {"type": "other", "value": value})
    assert response.status_code == 413


def _statements(api, incident, count, offset):
    items = [{"type": "ipv4", "value": f"10.{offset}.{n // 250}.{n % 250}"} for n in range(count)]
    with CaptureQueriesContext(connection) as queries:
        response = api.post(url(incident), items)
    assert response.status_code == 201, response.content[:300]
    return len(queries)


def test_bulk_creation_costs_the_same_statements_for_10_as_for_1000(token_client, lead, incident):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite splits a bulk insert under its limit of parameters per statement")
    api = token_client(lead, "observables:write")
    _statements(api, incident, 1, 0)  # a first request may record one-off things
    assert _statements(api, incident, 10, 1) == _statements(api, incident, 1000, 2)
    assert Observable.objects.filter(incident=incident).count() == 1011


def test_a_bulk_write_is_audited_with_its_counts_and_rows(token_client, lead, incident):
    api = token_client(lead, "observables:write")
    api.post(url(incident), [{"type": "domain", "value": f"d{n}.example"} for n in range(3)])
    added = AuditEvent.objects.get(action="observables.added")
    assert added.data["created"] == 3
    bulk = AuditEvent.objects.get(action="model.bulk_created", data__model="observables.observable")
    assert len(bulk.data["rows"]) == 3


def test_the_list_pages_and_names_related_visible_incidents(token_client, lead, make_incident):
    first, second, third = (make_incident(reporter=lead) for _ in range(3))
    add(first, lead, "shared.example", "only-here.example")
    add(second, lead, "shared.example")
    add(third, lead, "shared.example", ignore_for_correlation=True)
    api = token_client(lead, "observables:read")
    response = api.get(url(first), {"page_size": 1})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"next", "previous", "results"} and body["next"]
    items = {i["normalized_value"]: i for i in api.get(url(first)).json()["results"]}
    assert items["shared.example"]["related"] == [{"id": second.pk, "reference": second.reference}]
    assert items["shared.example"]["related_count"] == 1
    assert items["only-here.example"]["related"] == []


def test_list_filters_by_type_tlp_and_ioc(token_client, lead, incident):
    add(incident, lead, "a.example", is_ioc=True, tlp="red")
    add(incident, lead, "192.0.2.1", type="ipv4")
    api = token_client(lead, "observables:read")
    assert [i["value"] for i in api.get(url(incident), {"type": "ipv4"}).json()["results"]] == [
        "192.0.2.1"
    ]
    assert len(api.get(url(incident), {"tlp": "red"}).json()["results"]) == 1
    assert len(api.get(url(incident), {"is_ioc": "true"}).json()["results"]) == 1
    assert api.get(url(incident), {"type": "bogus"}).status_code == 400


def test_patch_changes_one_observable_and_no_other_incidents(token_client, lead, make_incident):
    first, second = make_incident(reporter=lead), make_incident(reporter=lead)
    (mine,) = add(first, lead, "evil.example")
    (theirs,) = add(second, lead, "evil.example")
    api = token_client(lead, "observables:write")
    response = api.patch(url(first, mine.pk), {"is_ioc": True, "tlp": "red", "sighted": True})
    assert response.status_code == 200, response.content
    assert response.json()["sighted_at"]
    theirs.refresh_from_db()
    assert (theirs.is_ioc, theirs.tlp, theirs.sighted) == (False, "amber", False)


def test_patch_to_a_value_the_incident_holds_is_400(token_client, lead, incident):
    one, _ = add(incident, lead, "one.example", "two.example")
    api = token_client(lead, "observables:write")
    response = api.patch(url(incident, one.pk), {"value": "TWO.example"})
    assert response.status_code == 400
    assert "value" in response.json()


def test_delete_needs_a_reason_and_is_audited(token_client, lead, incident):
    (observable,) = add(incident, lead, "gone.example")
    api = token_client(lead, "observables:write")
    assert api.delete(url(incident, observable.pk)).status_code == 400
    response = api.delete(url(incident, observable.pk), {"reason": "a typo"})
    assert response.status_code == 204
    assert not Observable.objects.filter(pk=observable.pk).exists()
    event = AuditEvent.objects.get(action="observable.deleted")
    assert event.data["reason"] == "a typo"


def test_scopes_guard_reading_and_writing(token_client, lead, incident):
    reader = token_client(lead, "observables:read")
    assert reader.get(url(incident)).status_code == 200
    assert reader.post(url(incident), {"type": "domain", "value": "x.example"}).status_code == 403
    writer = token_client(lead, "incidents:read")
    assert writer.get(url(incident)).status_code == 403
    assert writer.get("/api/v1/observables/", {"value": "x.example"}).status_code == 403


def test_managers_read_but_do_not_add(token_client, manager, incident):
    api = token_client(manager)
    assert api.get(url(incident)).status_code == 200
    response = api.post(url(incident), {"type": "domain", "value": "x.example"})
    assert response.status_code == 403


def test_lookup_finds_a_defanged_value_across_incidents(token_client, lead, make_incident):
    first, second = make_incident(reporter=lead), make_incident(reporter=lead)
    add(first, lead, "evil.example")
    add(second, lead, "http://evil.example/x", type="url")
    add(second, lead, "evil.example", type="hostname")
    api = token_client(lead, "observables:read")
    response = api.get("/api/v1/observables/", {"value": "evil[.]example"})
    assert response.status_code == 200
    hits = {(h["type"], h["incident"]["reference"]) for h in response.json()["results"]}
    assert hits == {("domain", first.reference), ("hostname", second.reference)}
    typed = api.get("/api/v1/observables/", {"value": "EVIL.example", "type": "domain"}).json()
    assert [h["incident"]["id"] for h in typed["results"]] == [first.pk]
    assert api.get("/api/v1/observables/").status_code == 400


def test_an_idn_domain_is_kept_as_punycode_and_shown_in_unicode(token_client, lead, incident):
    api = token_client(lead, "observables:write")
    body = api.post(url(incident), {"type": "domain", "value": "pаypal.com"}).json()  # noqa: RUF001
    assert body["normalized_value"] == "xn--pypal-4ve.com"
    assert body["homograph"] is True
    plain = api.post(url(incident), {"type": "domain", "value": "paypal.com"}).json()
    assert plain["created"] is True and plain["id"] != body["id"]


def test_another_incidents_evidence_is_refused(token_client, lead, make_incident):
    import hashlib
    import secrets

    from evidence.models import EvidenceItem

    first, second = make_incident(reporter=lead), make_incident(reporter=lead)
    item = EvidenceItem.objects.create(
        incident=second,
        collected_by=lead,
        original_name="x.log",
        storage_key=secrets.token_hex(16),
        size=1,
        receipt_sha256=hashlib.sha256(b"x").hexdigest(),
    )
    api = token_client(lead, "observables:write")
    response = api.post(url(first), {"type": "domain", "value": "a.example", "evidence": item.pk})
    assert response.status_code == 400
    assert "evidence" in response.json()
    ok = api.post(url(second), {"type": "domain", "value": "a.example", "evidence": item.pk})
    assert ok.status_code == 201
    assert ok.json()["evidence"] == item.pk
