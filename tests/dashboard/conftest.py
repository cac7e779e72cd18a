"""Fixtures for the dashboard tests: evidence stored in the test's own vault, and
post-incident action items. Nothing here is autouse (other dashboard tests share
this folder)."""

import datetime as dt
import hashlib

import pytest
from django.utils import timezone

from evidence import services as evidence_services
from evidence.storage import upload_tmp_dir
from evidence.uploads import EvidenceUpload
from incidents.models import (
    ActionItem,
    ActionItemStatus,
    PostIncidentReview,
    ReviewSection,
    ReviewSectionKind,
)


@pytest.fixture
def vault(settings, tmp_path):
    settings.EVIDENCE_ROOT = tmp_path / "vault"
    settings.EVIDENCE_STORAGE = "local"
    return settings.EVIDENCE_ROOT


@pytest.fixture
def store_evidence(vault):
    """`store_evidence(incident, actor, content, sender_sha256="")` → an item received
    through the service and hashed as the worker would (unless the sender's hash was
    wrong, which is an integrity failure from the start)."""

    def store(incident, actor, content: bytes, *, name="disk.img", sender_sha256=""):
        path = upload_tmp_dir() / f"upload-{hashlib.sha256(content).hexdigest()[:12]}"
        path.write_bytes(content)
        upload = EvidenceUpload(
            file=path.open("rb"),
            name=name,
            content_type="application/octet-stream",
            size=len(content),
            charset=None,
            receipt_sha256=hashlib.sha256(content).hexdigest(),
        )
        item = evidence_services.evidence_receive(
            incident=incident,
            actor=actor,
            uploaded_file=upload,
            sender_sha256=sender_sha256,
            source_host="web-01",
        )
        return evidence_services.evidence_hash_stored(evidence_id=item.pk)

    return store


@pytest.fixture
def make_action_item():
    """`make_action_item(incident, owner, status=..., title=...)`. Written with the ORM:
    the review's services belong to the incidents app and are not the subject here."""

    def make(incident, owner, *, status=ActionItemStatus.OPEN, title="Rotate the keys"):
        review, _ = PostIncidentReview.objects.get_or_create(incident=incident)
        section, _ = ReviewSection.objects.get_or_create(
            review=review, kind=ReviewSectionKind.AUTHENTICATION
        )
        closed = status in (ActionItemStatus.DONE, ActionItemStatus.WONT_DO)
        return ActionItem.objects.create(
            section=section,
            incident=incident,
            title=title,
            owner=owner,
            due_date=timezone.localdate() + dt.timedelta(days=14),
            status=status,
            closed_at=timezone.now() if closed else None,
        )

    return make
