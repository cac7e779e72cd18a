"""`cordon observable add|list|lookup` against a live server, need-to-know included."""

import pytest

from observables.models import Observable
from tests.observables.conftest import add

pytestmark = pytest.mark.django_db(transaction=True)
SCOPES = ("incidents:read", "observables:read", "observables:write")


def test_add_sends_values_and_prints_what_was_created(cordon, lead, make_incident, tmp_path):
    incident = make_incident(reporter=lead)
    listing = tmp_path / "ips.txt"
    listing.write_text("198.51.100[.]7\n\n198.51.100.8\n")
    result = cordon(
        lead,
        "observable",
        "add",
        "--incident",
        incident.reference,
        "--type",
        "ipv4",
        "--file",
        str(listing),
        "192.0.2.1",
        "--ioc",
        scopes=SCOPES,
    )
    assert result.code == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert [line.split("\t")[2:] for line in lines] == [
        ["192.0.2.1", "created"],
        ["198.51.100.7", "created"],
        ["198.51.100.8", "created"],
    ]
    assert Observable.objects.filter(incident=incident, is_ioc=True).count() == 3


def test_a_refused_value_exits_3_naming_the_item(cordon, lead, make_incident):
    incident = make_incident(reporter=lead)
    result = cordon(
        lead,
        "observable",
        "add",
        "--incident",
        str(incident.pk),
        "--type",
        "md5",
        "nope",
        scopes=SCOPES,
    )
    assert result.code == 3
    assert "Item 1" in result.stderr and "MD5" in result.stderr
    assert not Observable.objects.exists()


def test_list_and_lookup_stay_within_need_to_know(cordon, lead, responder, make_incident):
    secret = make_incident(reporter=lead, title="Insider", restricted=True)
    add(secret, lead, "c2.evil.example")
    first = make_incident(reporter=lead, title="Phishing")
    add(first, lead, "c2.evil.example")
    second = make_incident(reporter=lead, title="Phishing again")
    add(second, lead, "c2.evil.example")

    listed = cordon(responder, "observable", "list", "--incident", first.reference, scopes=SCOPES)
    assert listed.code == 0, listed.stderr
    assert second.reference in listed.stdout
    assert secret.reference not in listed.stdout

    found = cordon(responder, "observable", "lookup", "c2.evil[.]example", scopes=SCOPES)
    assert found.code == 0, found.stderr
    assert {line.split("\t")[0] for line in found.stdout.strip().splitlines()} == {
        first.reference,
        second.reference,
    }

    as_lead = cordon(lead, "observable", "lookup", "c2.evil[.]example", scopes=SCOPES)
    assert secret.reference in as_lead.stdout

    hidden = cordon(responder, "observable", "list", "--incident", str(secret.pk), scopes=SCOPES)
    assert hidden.code == 6


def test_a_manager_and_a_reporter_look_up_only_what_they_may_see(
    cordon, lead, manager, reporter, make_incident
):
    secret = make_incident(reporter=lead, title="Insider", restricted=True)
    add(secret, lead, "c2.evil.example")
    opened = make_incident(reporter=lead, title="Phishing")
    add(opened, lead, "c2.evil.example")
    mine = make_incident(reporter=reporter, title="Odd mail")
    add(mine, reporter, "c2.evil.example")

    as_manager = cordon(manager, "observable", "lookup", "c2.evil.example", scopes=SCOPES)
    assert as_manager.code == 0, as_manager.stderr
    assert {line.split("\t")[0] for line in as_manager.stdout.strip().splitlines()} == {
        opened.reference,
        mine.reference,
    }
    listed = cordon(reporter, "observable", "list", "--incident", str(mine.pk), scopes=SCOPES)
    assert listed.code == 0, listed.stderr
    assert "also in: -" in listed.stdout
    assert secret.reference not in listed.stdout and opened.reference not in listed.stdout
    as_reporter = cordon(reporter, "observable", "lookup", "c2.evil.example", scopes=SCOPES)
    assert as_reporter.stdout.strip().split("\t")[0] == mine.reference
    assert len(as_reporter.stdout.strip().splitlines()) == 1


def test_export_writes_the_file_and_import_takes_it_into_another_incident(
    cordon, lead, make_incident, tmp_path
):
    source = make_incident(reporter=lead)
    add(source, lead, "evil.example", is_ioc=True, tlp="green")
    target = make_incident(reporter=lead)
    bundle = tmp_path / "source.stix.json"
    exported = cordon(
        lead,
        "observable",
        "export",
        "--incident",
        source.reference,
        "--format",
        "stix",
        "--out",
        str(bundle),
        scopes=SCOPES,
    )
    assert exported.code == 0, exported.stderr
    assert "1 observables, highest marking TLP:AMBER" in exported.stderr
    assert '"type": "bundle"' in bundle.read_text()
    imported = cordon(
        lead, "observable", "import", "--incident", str(target.pk), str(bundle), scopes=SCOPES
    )
    assert imported.code == 0, imported.stderr
    assert imported.stdout.strip() == "stix: 1 created, 0 updated, 0 skipped"
    obs = Observable.objects.get(incident=target)
    assert (obs.normalized_value, obs.is_ioc, obs.tlp, obs.source) == (
        "evil.example",
        True,
        "green",
        "imported",
    )


def test_importing_something_that_is_not_a_bundle_exits_non_zero_with_the_reason(
    cordon, lead, make_incident, tmp_path
):
    incident = make_incident(reporter=lead)
    junk = tmp_path / "junk.json"
    junk.write_text('{"hello": "world"}')
    result = cordon(
        lead, "observable", "import", "--incident", str(incident.pk), str(junk), scopes=SCOPES
    )
    assert result.code != 0
    assert "Neither a STIX 2.1 bundle nor a MISP event" in result.stderr
    assert not Observable.objects.filter(incident=incident).exists()
