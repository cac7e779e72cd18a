"""The captured model and queryset: what a domain model opts into so that every write of
it reaches the audit log.

Row saves and deletes send Django's model signals, which audit/capture.py receives.
Bulk writes send none, so a model whose writes are captured (audit/capture.py
`is_captured`) says so explicitly: it inherits `CapturedModel`, whose default manager
and base manager build `CapturedQuerySet`s (a model with a queryset of its own derives
it from `CapturedQuerySet`). Its `update()`, `bulk_create()` and `bulk_update()` are
Django's, handed to the one `BulkWriteCapture` installed at start-up (audit/capture.py
`connect()`), which runs the write and records it in the same transaction. Django's own
QuerySet is never changed. `delete()` needs nothing: Django deletes row by row and sends
post_delete for each row, because a receiver is connected.

The base manager matters as much as `objects`: Django writes through it when deletion
sets a foreign key to NULL and when a reverse relation's `add()` moves rows. The
abstract `Meta.base_manager_name` below reaches a child that declares its own Meta
because Django takes a model's base manager from its first parent's when it names none.

`CapturedModel` also keeps the values each instance was loaded with (Django's
`from_db` hook, "Customizing model loading"), so the capture of a save can tell what
changed without reading the row again (`loaded_values`). A save's own values become
the known ones once its transaction commits: a rolled-back save leaves them unknown.

This lives in core, below every app, because notifications' models are captured too
and notifications may not import audit (DESIGN.md). Core knows nothing of what is
recorded or how.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Sequence
from functools import cache, partial
from typing import Any, Protocol, TypeVar, cast

from django.db import connections, models, transaction

from core import bulk

# Fields whose value the instance may change in place (a JSON list): what was loaded is
# kept as a copy, so such a change still shows against it.
_MUTABLE_FIELD_TYPES = {"JSONField", "ArrayField", "HStoreField"}
_LOADED_ATTR = "_captured_loaded_values"

_M = TypeVar("_M", bound=models.Model)


class BulkWriteCapture(Protocol):
    """Runs a bulk write (`write`) and records it; audit/capture.py has the one in use."""

    def update(
        self, queryset: models.QuerySet, values: dict[str, Any], write: Callable[[], int]
    ) -> int: ...

    def bulk_create(
        self,
        queryset: models.QuerySet,
        objs: Iterable[models.Model],
        write: Callable[[Any], list],
        *,
        conflicts: bool,
    ) -> list: ...

    def bulk_update(
        self,
        queryset: models.QuerySet,
        objs: Sequence[models.Model],
        fields: Sequence[str],
        write: Callable[[Any], int],
    ) -> int: ...


_bulk_capture: BulkWriteCapture | None = None


def capture_bulk_writes_with(capture: BulkWriteCapture | None) -> None:
    """Install what runs and records bulk writes of captured models (once, at start-up)."""
    global _bulk_capture
    _bulk_capture = capture


class CapturedQuerySet(models.QuerySet[_M]):
    """A queryset whose bulk writes are recorded; the base of every captured model's."""

    def update(self, **kwargs: Any) -> int:
        write = partial(super().update, **kwargs)
        if _bulk_capture is None:
            return write()
        return _bulk_capture.update(self, kwargs, write)

    update.alters_data = True  # type: ignore[attr-defined]

    def bulk_create(
        self,
        objs: Iterable[_M],
        batch_size: int | None = None,
        ignore_conflicts: bool = False,
        update_conflicts: bool = False,
        update_fields: Any = None,
        unique_fields: Any = None,
    ) -> list[_M]:
        write = partial(
            super().bulk_create,
            batch_size=batch_size,
            ignore_conflicts=ignore_conflicts,
            update_conflicts=update_conflicts,
            update_fields=update_fields,
            unique_fields=unique_fields,
        )
        if _bulk_capture is None:
            return write(objs)
        return _bulk_capture.bulk_create(
            self, objs, write, conflicts=ignore_conflicts or update_conflicts
        )

    bulk_create.alters_data = True  # type: ignore[attr-defined]

    def bulk_upsert(
        self, objs: Sequence[_M], *, unique_fields: Sequence[str], update_fields: Sequence[str]
    ) -> list[_M]:
        """`bulk_create(update_conflicts=True, …)` in one statement of one parameter per
        column (core.bulk) where the model and database allow it, Django's otherwise;
        recorded as a bulk_create either way. Every object gets its row's primary key."""
        objs = list(objs)
        write: Callable[..., list]
        if bulk.supports(self.model, connections[self.db]):
            write = partial(
                bulk.upsert,
                self.model,
                unique_fields=unique_fields,
                update_fields=update_fields,
                using=self.db,
            )
        else:
            write = partial(
                super().bulk_create,
                update_conflicts=True,
                unique_fields=unique_fields,
                update_fields=update_fields,
            )
        if _bulk_capture is None:
            return cast(list[_M], write(objs))
        return cast(list[_M], _bulk_capture.bulk_create(self, objs, write, conflicts=True))

    bulk_upsert.alters_data = True  # type: ignore[attr-defined]

    def bulk_update(
        self, objs: Iterable[_M], fields: Iterable[str], batch_size: int | None = None
    ) -> int:
        # Both are read again after the write: a generator would be spent by then.
        objs, fields = list(objs), list(fields)
        write = partial(super().bulk_update, fields=fields, batch_size=batch_size)
        if _bulk_capture is None:
            return write(objs)
        return _bulk_capture.bulk_update(self, objs, fields, write)

    bulk_update.alters_data = True  # type: ignore[attr-defined]


class CapturedManager(models.Manager.from_queryset(CapturedQuerySet)):  # type: ignore[misc]
    """The manager of a captured model without a queryset of its own."""


def _is_expression(value: Any) -> bool:
    # F("n") + 1, Now(), a database default: the stored value is known only by reading it.
    return hasattr(value, "resolve_expression")


def _copied(value: Any) -> Any:
    """A copy of a value that could be changed in place (cheaper than deepcopy for JSON)."""
    if isinstance(value, list):
        return [_copied(item) for item in value]
    if isinstance(value, dict):
        return {key: _copied(item) for key, item in value.items()}
    if isinstance(value, set | bytearray):
        return copy.deepcopy(value)
    return value


@cache
def _mutable_attnames(model: type[models.Model]) -> frozenset[str]:
    return frozenset(
        field.attname
        for field in model._meta.concrete_fields
        if field.get_internal_type() in _MUTABLE_FIELD_TYPES
    )


class CapturedModel(models.Model):
    """A model whose every write is captured for the audit log (see the module docstring)."""

    objects: models.Manager[Any] = CapturedManager()

    class Meta:
        abstract = True
        base_manager_name = "objects"

    @classmethod
    def from_db(cls, db, field_names, values, **kwargs):
        instance = super().from_db(db, field_names, values, **kwargs)
        loaded = dict(zip(field_names, values))  # noqa: B905 - Django gives one per name
        mutable = _mutable_attnames(cls)
        if mutable:
            for name in mutable.intersection(loaded):
                loaded[name] = _copied(loaded[name])
        instance.__dict__[_LOADED_ATTR] = (db, loaded)
        return instance

    def refresh_from_db(self, using=None, fields=None, from_queryset=None) -> None:
        fields = None if fields is None else list(fields)
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        attnames = self._attnames(fields)
        db, known = self.__dict__.get(_LOADED_ATTR, (self._state.db, {}))
        if db != self._state.db or known.get(self._meta.pk.attname) != self.pk:
            known = {}
        # A new dict each time, never one changed in place: a copy of this instance
        # (copy.copy) shares the old one.
        self.__dict__[_LOADED_ATTR] = (
            self._state.db,
            {**_without(known, attnames), **self._current(attnames)},
        )

    def save_base(
        self, raw=False, force_insert=False, force_update=False, using=None, update_fields=None
    ) -> None:
        super().save_base(
            raw=raw,
            force_insert=force_insert,
            force_update=force_update,
            using=using,
            update_fields=update_fields,
        )
        db, pk_attname = self._state.db, self._meta.pk.attname
        attnames = self._attnames(update_fields)
        saved = self._current(attnames)
        known_db, known = self.__dict__.get(_LOADED_ATTR, (db, {}))
        if known_db != db or known.get(pk_attname) != self.pk:
            known = {}  # another row than the one loaded: nothing of it is known
        # Until the write commits, a rollback may undo it: its values are known on commit
        # (those written as an expression, F("n") + 1, only by reading the row again).
        self.__dict__[_LOADED_ATTR] = (db, _without(known, set(attnames) - {pk_attname}))
        transaction.on_commit(partial(self._saved, db, saved), using=db)

    def _saved(self, db: str | None, saved: dict[str, Any]) -> None:
        """On commit: the saved values are what the row holds, unless the instance has
        moved to another row or database since."""
        pk = saved.get(self._meta.pk.attname)
        known_db, known = self.__dict__.get(_LOADED_ATTR, (db, {}))
        if known_db == db and known.get(self._meta.pk.attname, pk) == pk:
            self.__dict__[_LOADED_ATTR] = (db, {**known, **saved})

    def _attnames(self, names: Iterable[str] | None) -> list[str]:
        """The attribute names of the given concrete fields (by name or attname) and of
        the primary key; None: every field the instance holds (none deferred)."""
        if names is None:
            return [f.attname for f in self._meta.concrete_fields if f.attname in self.__dict__]
        wanted = set(names)
        return [
            f.attname
            for f in self._meta.concrete_fields
            if f.primary_key or f.name in wanted or f.attname in wanted
        ]

    def _current(self, attnames: Iterable[str]) -> dict[str, Any]:
        values = self.__dict__
        return {
            name: _copied(values[name])
            for name in attnames
            if name in values and not _is_expression(values[name])
        }


def _without(known: dict[str, Any], attnames: Iterable[str]) -> dict[str, Any]:
    gone = set(attnames)
    return {name: value for name, value in known.items() if name not in gone}


def loaded_values(instance: models.Model, using: str | None) -> dict[str, Any]:
    """The values of `instance`'s row as this process last read or committed them, by
    attname: those of its fields that are known for its current primary key in the
    database `using`; {} for an instance that was not loaded (or not a CapturedModel)."""
    db, known = instance.__dict__.get(_LOADED_ATTR, (None, {}))
    pk_attname = instance._meta.pk.attname
    if db != using or pk_attname not in known or known[pk_attname] != instance.pk:
        return {}
    return known
