"""Generic capture of every create, update and delete of every domain model.

This is the one place where model signals carry behaviour (CONVENTIONS.md): it
records *that* a row changed and which fields, for the audit trail, and nothing
else. Domain logic lives in services. Apps to capture and fields never to write
in clear come from settings (AUDIT_CAPTURED_APPS, AUDIT_CAPTURE_EXCLUDED_MODELS,
AUDIT_REDACTED_FIELDS), so this module imports no domain app.

Everything is connected here, in `connect()`, called once from AuditConfig.ready():

- pre_save/post_save: `model.created` with the row's fields, or `model.updated` with
  each changed field's old and new value (secrets redacted) when a save changed any.
  The old values are those the instance was loaded with (core.capture.CapturedModel
  keeps them, and a save's own once it commits), so a save costs no extra SELECT; only
  a field not known that way (an instance built by hand, a save not yet committed, a
  field deferred) is read from the row first. The diff is therefore what this save
  changes relative to what this process read: a change made elsewhere in between is
  recorded as its own event, and this save, if it writes that field back, shows no
  change of it. Services that must not lose such a change lock the row when they
  load it (select_for_update), and then what was read is what the row holds.
- post_delete: `model.deleted` with the row's fields. `QuerySet.delete()` needs nothing
  more: with this receiver connected, Django deletes row by row and it fires for each.
- m2m_changed: `model.relation_changed` (the roles of a person are group memberships).
- The bulk writes, which send no per-row signals: every captured model uses
  core.capture.CapturedQuerySet (through CapturedModel, or a queryset derived from it;
  tests/audit/test_captured_models.py fails for one that does not), whose `update()`,
  `bulk_create()` and `bulk_update()` hand the write to `BulkCapture` below. It records
  one `model.bulk_updated` or `model.bulk_created` event with the model, the count, the
  ids (up to BULK_ID_LIMIT) and the values set (secrets redacted), in the same
  transaction as the write. Only updates that touch nothing but a listed bookkeeping
  field (AUDIT_BULK_BOOKKEEPING_FIELDS, such as a token's last-use time) are left out.
  Django's own QuerySet is not changed. Models of other apps (Django's, django-otp's,
  axes') are not captured at all (`is_captured`); the auto-created tables of a
  many-to-many relation are written by its related manager, recorded as relation changes.
- core.housekeeping.purged: purges of bookkeeping rows (expired sessions and idempotency
  records, messages delivered long ago) are the one exception to per-row deletions:
  while a purge deletes, no `model.deleted` is recorded; the purge's one `purged` signal
  per run is recorded as one `housekeeping.purged` event with the count of each kind and
  of each model deleted.
"""

from __future__ import annotations

from contextvars import ContextVar

from django.conf import settings
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

import audit
from audit.chain import normalise
from core import capture as core_capture
from core import housekeeping

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


def _snapshot(instance, fields, redacted: set[str] | None = None) -> dict:
    if redacted is None:
        redacted = _redacted_fields(type(instance))
    return {
        field.attname: REDACTED if field.name in redacted else field.value_from_object(instance)
        for field in fields
    }


def _written_fields(model, update_fields):
    """The fields a save writes: every one, or those named (by name or attname)."""
    fields = _fields(model)
    if update_fields is None:
        return fields
    return [f for f in fields if f.name in update_fields or f.attname in update_fields]


def _before_save(sender, instance, raw=False, using=None, update_fields=None, **kwargs):
    if raw or not is_captured(sender) or instance._state.adding or instance.pk is None:
        return
    attnames = [field.attname for field in _written_fields(sender, update_fields)]
    # What this process read (or wrote, once committed) needs no query; the rest is read.
    known = core_capture.loaded_values(instance, using)
    old = {name: known[name] for name in attnames if name in known}
    unknown = [name for name in attnames if name not in known]
    if unknown:
        stored = sender._base_manager.filter(pk=instance.pk).values(*unknown).first()
        old.update(stored or {})
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
    fields = _written_fields(sender, update_fields)
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
    if not is_captured(sender) or housekeeping.purging():
        return
    audit.record(
        "model.deleted",
        target=instance,
        data={"model": _label(sender), "fields": normalise(_snapshot(instance, _fields(sender)))},
    )


def _purged(sender, counts, models, **kwargs):
    audit.record("housekeeping.purged", data={"source": sender, "counts": counts, "models": models})


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


# --- Bulk writes ---------------------------------------------------------------------

BULK_ID_LIMIT = 1000
# bulk_update() runs update() per batch: its own event covers them.
_in_bulk_update: ContextVar[bool] = ContextVar("audit_in_bulk_update", default=False)


def _bulk_value(value):
    """A value as written: plain values as JSON, expressions (F() + 1) as their text."""
    try:
        return normalise(value)
    except TypeError:
        return str(value)


def _bulk_values(model, values: dict) -> dict:
    redacted = _redacted_fields(model)
    return {
        name: REDACTED if name in redacted else _bulk_value(value) for name, value in values.items()
    }


def _ids(pks) -> dict:
    pks = [pk for pk in pks if pk is not None]
    return {"ids": normalise(pks[:BULK_ID_LIMIT]), "ids_truncated": len(pks) > BULK_ID_LIMIT}


def _is_bookkeeping(model, names) -> bool:
    allowed = settings.AUDIT_BULK_BOOKKEEPING_FIELDS.get(_label(model), ())
    return bool(names) and set(names) <= set(allowed)


def _bulk_captured(model) -> bool:
    # Auto-created many-to-many tables are recorded as relation changes (m2m_changed).
    return is_captured(model) and not model._meta.auto_created


class BulkCapture:
    """Runs the bulk writes of captured models (core.capture.CapturedQuerySet) and records
    each as one event in the write's transaction."""

    def update(self, queryset, values, write):
        model = queryset.model
        if not _bulk_captured(model) or _is_bookkeeping(model, values) or _in_bulk_update.get():
            return write()
        with transaction.atomic(using=queryset.db, savepoint=False):
            # The matched rows, locked (PostgreSQL) so the ids listed are the rows updated
            # (FOR UPDATE is not allowed with DISTINCT or GROUP BY: then only as matched).
            matched = queryset.order_by()
            if not matched.query.distinct and not matched.query.group_by:
                matched = matched.select_for_update(no_key=True, of=("self",))
            pks = list(matched.values_list("pk", flat=True)[: BULK_ID_LIMIT + 1])
            count = write()
            if count:
                audit.record(
                    "model.bulk_updated",
                    data={
                        "model": _label(model),
                        "count": count,
                        "values": _bulk_values(model, values),
                        **_ids(pks),
                    },
                )
        return count

    def bulk_create(self, queryset, objs, write, *, conflicts):
        model = queryset.model
        if not _bulk_captured(model):
            return write(objs)
        with transaction.atomic(using=queryset.db, savepoint=False):
            created = write(objs)
            if created:
                fields, redacted = _fields(model), _redacted_fields(model)
                # audit.record makes the whole of `data` JSON once (rows included).
                audit.record(
                    "model.bulk_created",
                    data={
                        "model": _label(model),
                        # With ignore/update_conflicts some rows may have existed already.
                        "attempted" if conflicts else "count": len(created),
                        "rows": [
                            _snapshot(obj, fields, redacted) for obj in created[:BULK_ID_LIMIT]
                        ],
                        **_ids([obj.pk for obj in created]),
                    },
                )
        return created

    def bulk_update(self, queryset, objs, fields, write):
        model = queryset.model
        if not _bulk_captured(model):
            return write(objs)
        with transaction.atomic(using=queryset.db, savepoint=False):
            inside = _in_bulk_update.set(True)
            try:
                count = write(objs)
            finally:
                _in_bulk_update.reset(inside)
            if count:
                redacted = _redacted_fields(model)
                audit.record(
                    "model.bulk_updated",
                    data={
                        "model": _label(model),
                        "count": count,
                        "fields": sorted(fields),
                        "values": {
                            str(obj.pk): {
                                name: REDACTED
                                if name in redacted
                                else _bulk_value(getattr(obj, model._meta.get_field(name).attname))
                                for name in fields
                            }
                            for obj in objs[:BULK_ID_LIMIT]
                        },
                        **_ids([obj.pk for obj in objs]),
                    },
                )
        return count


def connect() -> None:
    """Every receiver of the capture, connected once (AuditConfig.ready)."""
    core_capture.capture_bulk_writes_with(BulkCapture())
    pre_save.connect(_before_save, dispatch_uid="audit.capture.pre_save")
    post_save.connect(_after_save, dispatch_uid="audit.capture.post_save")
    post_delete.connect(_after_delete, dispatch_uid="audit.capture.post_delete")
    m2m_changed.connect(_m2m_changed, dispatch_uid="audit.capture.m2m_changed")
    housekeeping.purged.connect(_purged, dispatch_uid="audit.capture.purged")
