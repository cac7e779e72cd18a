"""Generic capture of every create, update and delete of every domain model.

This is the one place where model signals carry behaviour (CONVENTIONS.md): it
records *that* a row changed and which fields, for the audit trail, and nothing
else. Domain logic lives in services. Apps to capture and fields never to write
in clear come from settings (AUDIT_CAPTURED_APPS, AUDIT_CAPTURE_EXCLUDED_MODELS,
AUDIT_REDACTED_FIELDS), so this module imports no domain app.

Queryset `update()`/`delete()` bypass model signals; services do not use them on
captured models (and the few bookkeeping exceptions are listed as excluded).
"""

from __future__ import annotations

from django.conf import settings
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

import audit
from audit.chain import normalise

REDACTED = "[redacted]"
_OLD_VALUES_ATTR = "_audit_old_values"


def _label(model) -> str:
    return model._meta.label_lower


def is_captured(model) -> bool:
    meta = model._meta
    return (
        meta.app_label in settings.AUDIT_CAPTURED_APPS
        and _label(model) not in settings.AUDIT_CAPTURE_EXCLUDED_MODELS
    )


def _fields(model):
    return [field for field in model._meta.concrete_fields if not field.primary_key]


def _redacted_fields(model) -> set[str]:
    """Field names never written in clear: the global list plus the model's own."""
    per_model = settings.AUDIT_REDACTED_MODEL_FIELDS.get(_label(model), [])
    return {*settings.AUDIT_REDACTED_FIELDS, *per_model}


def _snapshot(instance, fields) -> dict:
    redacted = _redacted_fields(type(instance))
    return {
        field.attname: REDACTED if field.name in redacted else field.value_from_object(instance)
        for field in fields
    }


def _before_save(sender, instance, raw=False, update_fields=None, **kwargs):
    if raw or not is_captured(sender) or instance._state.adding or instance.pk is None:
        return
    fields = _fields(sender)
    if update_fields is not None:
        fields = [field for field in fields if field.name in update_fields]
    old = sender._base_manager.filter(pk=instance.pk).values(*(f.attname for f in fields)).first()
    setattr(instance, _OLD_VALUES_ATTR, old)


def _after_save(sender, instance, created, raw=False, update_fields=None, **kwargs):
    if raw or not is_captured(sender):
        return
    fields = _fields(sender)
    if created:
        audit.record(
            "model.created",
            target=instance,
            data={"model": _label(sender), "fields": normalise(_snapshot(instance, fields))},
        )
        return
    old = instance.__dict__.pop(_OLD_VALUES_ATTR, None) or {}
    if update_fields is not None:
        fields = [field for field in fields if field.name in update_fields]
    redacted = _redacted_fields(sender)
    changes = {}
    for field in fields:
        before = normalise(old.get(field.attname))
        after = normalise(field.value_from_object(instance))
        if before != after:
            changes[field.attname] = (
                [REDACTED, REDACTED] if field.name in redacted else [before, after]
            )
    if changes:
        audit.record(
            "model.updated", target=instance, data={"model": _label(sender), "changes": changes}
        )


def _after_delete(sender, instance, **kwargs):
    if not is_captured(sender):
        return
    audit.record(
        "model.deleted",
        target=instance,
        data={"model": _label(sender), "fields": normalise(_snapshot(instance, _fields(sender)))},
    )


def _m2m_changed(sender, instance, action, model, pk_set, **kwargs):
    if action not in {"post_add", "post_remove", "post_clear"} or not is_captured(type(instance)):
        return
    audit.record(
        "model.relation_changed",
        target=instance,
        data={
            "model": _label(type(instance)),
            "related": _label(model),
            "change": action.removeprefix("post_"),
            "ids": sorted(pk_set or []),
        },
    )


def connect() -> None:
    pre_save.connect(_before_save, dispatch_uid="audit.capture.pre_save")
    post_save.connect(_after_save, dispatch_uid="audit.capture.post_save")
    post_delete.connect(_after_delete, dispatch_uid="audit.capture.post_delete")
    m2m_changed.connect(_m2m_changed, dispatch_uid="audit.capture.m2m_changed")
