"""The review that fits: sections from the incident's type, leads' own sections, and
one action-item form per page with the section chosen in it."""

import datetime as dt

import pytest

from incidents import services
from incidents.models import ActionItem, IncidentType, ReviewSectionKind
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db

GENERAL = ["summary", "timeline", "detection", "root_cause", "went_well"]


def _typed(reporter, key):
    return services.incident_file(
        reporter=reporter,
        title=f"A {key}",
        severity="high",
        incident_type=IncidentType.objects.get(key=key),
        custom_fields=_fields(key),
    )


def _fields(key):
    return {
        "web_app_compromise": {"application": "shop"},
        "ransomware": {"encrypted_hosts": 4},
    }.get(key, {})


def test_web_application_review_has_the_articles_six_questions(responder):
    incident = _typed(responder, "web_app_compromise")
    review = services.review_start(incident=incident, actor=responder)
    kinds = list(review.sections.values_list("kind", flat=True))
    assert kinds == [
        *GENERAL,
        "code_security",
        "static_content",
        "authentication",
        "authorization",
        "monitoring",
        "human_factors",
    ]
    code = review.sections.get(kind="code_security")
    assert code.get_kind_display() == ReviewSectionKind.CODE_SECURITY.label


def test_ransomware_review_has_no_cdn_question_but_its_own(responder):
    incident = _typed(responder, "ransomware")
    review = services.review_start(incident=incident, actor=responder)
    kinds = set(review.sections.values_list("kind", flat=True))
    assert "static_content" not in kinds and "code_security" not in kinds
    backups = review.sections.get(kind="backups")
    assert backups.get_kind_display() == "Did backups allow a timely restore?"
    assert "restore" in backups.guidance


def test_a_leads_own_section_appears_in_new_reviews(lead, responder):
    ransomware = IncidentType.objects.get(key="ransomware")
    document = ransomware.to_document()
    document["review_sections"].append(
        {"key": "insurer", "title": "Did the cyber insurer help?", "guidance": "Claims, panel."}
    )
    services.incident_type_save(actor=lead, document=document, incident_type=ransomware)
    review = services.review_start(incident=_typed(responder, "ransomware"), actor=responder)
    assert review.sections.get(kind="insurer").guidance == "Claims, panel."


def test_untyped_incident_keeps_every_default_section(incident, responder):
    review = services.review_start(incident=incident, actor=responder)
    assert review.sections.count() == len(ReviewSectionKind)


def test_one_action_item_form_with_the_section_chosen(client, responder):
    incident = _typed(responder, "ransomware")
    review = services.review_start(incident=incident, actor=responder)
    sign_in(client, responder)
    page = client.get(f"/incidents/{incident.pk}/review/").content.decode()
    assert page.count("Add action item</button>") == 1
    backups = review.sections.get(kind="backups")
    due = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    url = f"/incidents/{incident.pk}/review/action-items/"
    refused = client.post(url, {"title": "Test restores", "owner": "rick", "due_date": due})
    assert refused.status_code == 422 and not ActionItem.objects.exists()
    other = services.review_start(
        incident=_typed(responder, "phishing"), actor=responder
    ).sections.first()
    refused = client.post(
        url, {"section": other.pk, "title": "x", "owner": "rick", "due_date": due}
    )
    assert refused.status_code == 422  # a section of another review is no choice
    answer = client.post(
        url, {"section": backups.pk, "title": "Test restores", "owner": "rick", "due_date": due}
    )
    assert answer.status_code == 302
    assert ActionItem.objects.get().section == backups
