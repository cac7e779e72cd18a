"""An incident's proof bundle holds the events of everything that belongs to it, down
the foreign keys: its evidence items and their custody events, its tasks and their
comments, not only the rows that point at the incident itself."""

import pytest
from django.contrib.contenttypes.models import ContentType

from audit.models import AuditEvent
from dashboard.proof_bundle import incident_event_ids
from evidence.models import CustodyEvent
from incidents import services
from incidents.models import TaskComment
from tests.dashboard.conftest import store_evidence  # noqa: F401 - a fixture
from tests.evidence.conftest import vault  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db


def targets(ids) -> set[str]:
    return {
        event.target_type.model
        for event in AuditEvent.objects.filter(pk__in=ids).select_related("target_type")
        if event.target_type
    }


def test_the_bundle_reaches_custody_events_and_task_comments(lead, store_evidence):  # noqa: F811
    incident = services.incident_file(reporter=lead, title="Skimmer", severity="high")
    store_evidence(incident, lead, b"disk image bytes")
    task = services.task_add(incident=incident, actor=lead, title="Image the server")
    services.task_comment_add(task=task, actor=lead, body="Imaged at 10:00")
    other = services.incident_file(reporter=lead, title="Unrelated", severity="low")
    store_evidence(other, lead, b"other bytes")

    ids = incident_event_ids(incident)
    assert {"incident", "evidenceitem", "custodyevent", "task", "taskcomment"} <= targets(ids)
    custody = ContentType.objects.get_for_model(CustodyEvent)
    mine = {
        str(pk)
        for pk in CustodyEvent.objects.filter(item__incident=incident).values_list("pk", flat=True)
    }
    assert (
        mine
        and {
            event.target_id for event in AuditEvent.objects.filter(pk__in=ids, target_type=custody)
        }
        <= mine
    )  # none of the other incident's
    comment = ContentType.objects.get_for_model(TaskComment)
    assert AuditEvent.objects.filter(pk__in=ids, target_type=comment).exists()
