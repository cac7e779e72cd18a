"""Every captured model opts into the captured queryset; Django itself is left as it is.

Bulk writes send no model signals: a captured model whose managers build a plain
QuerySet would have its `update()`, `bulk_create()` and `bulk_update()` written past the
audit log without a trace. These tests walk every model of our apps and fail for one.
"""

import re
from pathlib import Path

import pytest
from django.apps import apps
from django.db import models
from django.db.models import QuerySet
from django.db.models.base import Model
from django.test.utils import isolate_apps
from django.utils import timezone

from accounts.models import Invitation
from audit.capture import is_captured
from audit.models import AuditEvent
from core.capture import CapturedModel, CapturedQuerySet
from incidents.models import TimelineEntry

ROOT = Path(__file__).resolve().parent.parent.parent
BULK_WRITES = ["update", "bulk_create", "bulk_update", "delete"]
MODEL_WRITE_SIGNALS = ["pre_save", "post_save", "pre_delete", "post_delete", "m2m_changed"]


def ours(model) -> bool:
    """A model of one of our apps (a package at the top of the repository)."""
    return Path(apps.get_app_config(model._meta.app_label).path).parent == ROOT


def captured_models():
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if ours(model) and is_captured(model) and not model._meta.auto_created
    ]


def writes_uncaptured(model) -> list[str]:
    """Which of the model's managers would write in bulk past the capture."""
    return [
        name
        for name, manager in [("objects", model._default_manager), ("base", model._base_manager)]
        if not isinstance(manager.all(), CapturedQuerySet)
    ]


def test_the_walk_finds_the_domain_models():
    labels = {model._meta.label_lower for model in captured_models()}
    assert {"accounts.user", "incidents.incident", "notifications.notification"} <= labels
    assert {"evidence.custodyevent", "disclosures.disclosureversion"} <= labels
    assert "audit.auditevent" not in labels


@pytest.mark.parametrize("model", captured_models(), ids=lambda model: model._meta.label_lower)
def test_a_captured_model_writes_in_bulk_only_through_the_captured_queryset(model):
    assert writes_uncaptured(model) == []
    assert issubclass(model, CapturedModel)


@isolate_apps("incidents")
def test_a_captured_model_with_a_plain_manager_is_caught():
    class PlainQuerySet(QuerySet):
        pass

    class Plain(models.Model):  # noqa: DJ008
        class Meta:
            app_label = "incidents"

    class OwnQuerySet(models.Model):  # noqa: DJ008
        objects = PlainQuerySet.as_manager()

        class Meta:
            app_label = "incidents"

    class Captured(CapturedModel):
        class Meta:
            app_label = "incidents"

    assert is_captured(Plain)
    assert writes_uncaptured(Plain) == ["objects", "base"]
    assert writes_uncaptured(OwnQuerySet) == ["objects", "base"]
    assert writes_uncaptured(Captured) == []


def test_the_audit_log_itself_is_not_captured():

    assert not is_captured(AuditEvent)
    assert not isinstance(AuditEvent.objects.all(), CapturedQuerySet)
    assert not isinstance(AuditEvent._base_manager.all(), CapturedQuerySet)


def test_models_of_other_apps_are_not_captured():
    """Django's, django-otp's, WebAuthn's and axes' tables: what happens to them is
    recorded by domain events (otp.*, login.*), not by the generic capture."""
    theirs = [model for model in apps.get_models(include_auto_created=True) if not ours(model)]
    assert {model._meta.app_label for model in theirs} >= {"auth", "otp_totp", "axes"}
    assert [model._meta.label_lower for model in theirs if is_captured(model)] == []


def test_many_to_many_tables_of_captured_models_are_written_only_by_their_related_manager():
    """An auto-created many-to-many table (a person's groups) keeps Django's manager: its
    related manager sends m2m_changed, recorded as a relation change. Our code never
    writes such a table directly."""
    through_tables = [
        model
        for model in apps.get_models(include_auto_created=True)
        if ours(model) and is_captured(model) and model._meta.auto_created
    ]
    assert "accounts.user_groups" in {model._meta.label_lower for model in through_tables}

    direct_write = re.compile(
        r"\.through\b[\w.()]*\.(create|bulk_create|bulk_update|update|delete|get_or_create)\("
    )
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for app in {model._meta.app_label for model in through_tables}
        for path in (ROOT / app).rglob("*.py")
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if direct_write.search(line)
    ]
    assert found == []


def test_djangos_own_query_and_save_methods_are_not_replaced():
    for name in BULK_WRITES:
        assert getattr(QuerySet, name).__module__ == "django.db.models.query", name
        assert getattr(QuerySet, name).__qualname__ == f"QuerySet.{name}"
    for name in ["save", "save_base", "delete", "from_db", "refresh_from_db"]:
        assert getattr(Model, name).__module__ == "django.db.models.base", name
        assert getattr(Model, name).__qualname__ == f"Model.{name}"


def test_model_write_signals_are_received_in_one_place():
    """CONVENTIONS.md: no hidden side effects in model signal handlers, except the generic
    capture, registered in audit/capture.py `connect()` and documented there."""
    imports = re.compile(
        r"^\s*from django\.db\.models\.signals import .*\b("
        + "|".join(MODEL_WRITE_SIGNALS)
        + r")\b"
    )
    receivers = re.compile(r"\b(" + "|".join(MODEL_WRITE_SIGNALS) + r")\.connect\(|@receiver\(")
    found = sorted(
        str(path.relative_to(ROOT))
        for app in ["core", *{model._meta.app_label for model in apps.get_models() if ours(model)}]
        for path in (ROOT / app).rglob("*.py")
        if any(
            imports.search(line) or receivers.search(line) for line in path.read_text().splitlines()
        )
    )
    assert found == ["audit/capture.py"]


@pytest.mark.django_db
def test_rows_django_moves_through_the_base_manager_are_captured(make_incident, responder):
    """A reverse relation's add() updates through the base manager, not `objects`."""

    first, second = make_incident(), make_incident()
    entry = TimelineEntry.objects.create(incident=first, body="filed too early", author=responder)
    before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()

    second.timeline.add(entry)

    (event,) = AuditEvent.objects.filter(id__gt=before, action="model.bulk_updated")
    assert event.data["model"] == "incidents.timelineentry"
    assert event.data["ids"] == [entry.pk]


@pytest.mark.django_db
def test_a_foreign_key_a_deletion_sets_to_null_is_captured(make_member):
    """Deleting a person empties `invited_by` of the invitations they sent: Django does
    it with one update() through the base manager."""

    inviter, invitee = make_member(username="ivy"), make_member(username="ian")
    invitation = Invitation.objects.create(
        user=invitee, invited_by=inviter, token_hash="a" * 64, expires_at=timezone.now()
    )
    before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()

    inviter.delete()

    (event,) = AuditEvent.objects.filter(id__gt=before, action="model.bulk_updated")
    assert event.data["model"] == "accounts.invitation"
    assert event.data["values"] == {"invited_by": None}
    assert event.data["ids"] == [invitation.pk]
