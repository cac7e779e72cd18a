"""core.validation: rows written before the shared rules can still change."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from incidents import services
from incidents.models import ActionItem, AffectedSystem, Incident, ReviewSectionKind

pytestmark = pytest.mark.django_db

OLD_TITLE = "Rotate\u200b keys"  # as a row written before the rules may hold it


@pytest.fixture
def old_item(incident, lead):
    review = services.review_start(incident=incident, actor=lead)
    section = review.sections.get(kind=ReviewSectionKind.AUTHENTICATION)
    item = services.action_item_add(
        section=section, actor=lead, title="Rotate keys", owner=lead, due_date=dt.date.today()
    )
    ActionItem.objects.filter(pk=item.pk).update(title=OLD_TITLE)
    item.refresh_from_db()
    return item


def test_an_old_action_item_can_still_be_closed_by_its_owner(old_item, lead):
    item = services.action_item_update(item=old_item, actor=lead, status="done")
    assert item.status == "done"
    assert item.title == OLD_TITLE


def test_what_an_update_writes_still_meets_the_rules(old_item, lead):
    with pytest.raises(ValidationError) as caught:
        services.action_item_update(item=old_item, actor=lead, due_date=dt.date(1, 1, 1))
    assert list(caught.value.message_dict) == ["due_date"]


def test_an_old_incident_and_system_can_change_their_other_facts(incident, lead):
    Incident.objects.filter(pk=incident.pk).update(title="Old\u202e title")
    incident.refresh_from_db()
    updated = services.incident_update(incident=incident, actor=lead, severity="critical")
    assert updated.severity == "critical"
    with pytest.raises(ValidationError) as caught:
        services.incident_update(incident=incident, actor=lead, title="New\u202e title")
    assert list(caught.value.message_dict) == ["title"]

    system = services.system_add(incident=incident, actor=lead, name="db-01")
    AffectedSystem.objects.filter(pk=system.pk).update(
        name="db\u200b01", impact_start=timezone.now().replace(year=1)
    )
    system.refresh_from_db()
    system = services.system_update(system=system, actor=lead, owner="DBA team")
    assert system.owner == "DBA team"
