"""`cordon incident file|list|show` against a live server."""

import pytest

from incidents.models import Incident

pytestmark = pytest.mark.django_db(transaction=True)


def test_file_prints_the_reference_and_files_once(cordon, responder):
    result = cordon(
        responder,
        "incident",
        "file",
        "--title",
        "Web shell on www1",
        "--severity",
        "high",
        "--description",
        "Found by the WAF",
    )
    assert result.code == 0, result.stderr
    incident = Incident.objects.get()
    assert result.stdout.strip() == incident.reference
    assert incident.title == "Web shell on www1"
    assert incident.severity == "high"
    assert incident.reporter == responder
    assert not incident.restricted


def test_file_restricted(cordon, responder):
    result = cordon(
        responder, "incident", "file", "--title", "Insider", "--severity", "low", "--restricted"
    )
    assert result.code == 0, result.stderr
    assert Incident.objects.get().restricted


def test_list_follows_every_page(cordon, lead, make_incident, monkeypatch):
    from accounts.api.pagination import KeysetPagination

    monkeypatch.setattr(KeysetPagination, "page_size", 3)  # 7 matches: three pages
    for number in range(7):
        make_incident(reporter=lead, title=f"Phishing wave {number}", severity="medium")
    make_incident(reporter=lead, title="Ransomware", severity="critical")
    result = cordon(lead, "incident", "list", "--severity", "medium")
    assert result.code == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 7
    assert len(set(lines)) == 7
    assert all("\tmedium\t" in line for line in lines)
    assert "Ransomware" not in result.stdout


def test_list_text_search(cordon, lead, make_incident):
    make_incident(reporter=lead, title="Phishing wave")
    make_incident(reporter=lead, title="Ransomware on file server")
    result = cordon(lead, "incident", "list", "--q", "ransomware")
    assert result.code == 0, result.stderr
    assert "Ransomware on file server" in result.stdout
    assert "Phishing" not in result.stdout


def test_show_by_reference_and_by_id(cordon, lead, make_incident):
    make_incident(reporter=lead, title="Other")
    incident = make_incident(reporter=lead, title="Web shell", description="On www1")
    by_reference = cordon(lead, "incident", "show", incident.reference)
    by_id = cordon(lead, "incident", "show", str(incident.pk))
    assert by_reference.code == 0, by_reference.stderr
    assert f"reference: {incident.reference}" in by_reference.stdout
    assert f"id: {incident.pk}" in by_reference.stdout
    assert "title: Web shell" in by_reference.stdout
    assert "On www1" in by_reference.stdout
    assert by_id.stdout == by_reference.stdout


def test_show_unknown_reference_is_not_found(cordon, lead):
    result = cordon(lead, "incident", "show", "INC-1999-1")
    assert result.code == 6
    assert "404" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_input_prints_the_field_errors(cordon, lead):
    result = cordon(lead, "incident", "file", "--title", "x" * 300, "--severity", "low")
    assert result.code == 3
    assert "400" in result.stderr
    assert "title:" in result.stderr
    assert "Traceback" not in result.stderr
    assert not Incident.objects.exists()


def test_file_with_a_type_creates_its_playbook_tasks(cordon, responder):
    result = cordon(
        responder,
        "incident",
        "file",
        "--title",
        "Laptop left on a train",
        "--severity",
        "medium",
        "--type",
        "lost_device",
        "--tag",
        "travel",
        "--field",
        "device=ThinkPad X1",
        "--field",
        "encrypted=true",
    )
    assert result.code == 0, result.stderr
    incident = Incident.objects.get()
    assert incident.incident_type.key == "lost_device"
    assert incident.custom_fields == {"device": "ThinkPad X1", "encrypted": True}
    assert "travel" in incident.tags
    assert incident.tasks.filter(playbook_key="wipe", due_at__isnull=False).exists()


def test_file_with_a_bad_field_names_it(cordon, responder):
    result = cordon(
        responder,
        "incident",
        "file",
        "--title",
        "x",
        "--severity",
        "low",
        "--type",
        "lost_device",
        "--field",
        "encrypted=perhaps",
    )
    assert result.code == 3
    assert "custom_fields.device" in result.stderr or "custom_fields.encrypted" in result.stderr
    assert not Incident.objects.exists()
