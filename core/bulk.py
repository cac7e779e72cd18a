"""Inserting many rows in one statement whose size does not grow with their number.

Django's `bulk_create(update_conflicts=True)` writes `INSERT … VALUES (…), (…) …` with
one parameter per field per row: for a thousand rows of twenty fields it prepares
twenty thousand values one by one (each field's `get_db_prep_save`) and PostgreSQL
parses a statement of twenty thousand parameters. `upsert` sends each column as one
array instead, `INSERT … SELECT … FROM unnest(%s::type[], …) ON CONFLICT … DO UPDATE`,
as the audit sequencer does: one parameter per column, the values passed as they are.

Only the plain field types below are sent that way (their Python values are what
psycopg2 adapts directly; JSON is encoded with the field's encoder). A model with any
other field, or a database other than PostgreSQL, gets Django's own bulk_create:
`supports(model, connection)` says which. The caller decides what is recorded: a
captured model's `CapturedQuerySet.bulk_upsert` hands this write to the audit capture
like any bulk_create.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from django.db import connections, models

_PLAIN = (
    models.BooleanField,
    models.CharField,
    models.TextField,
    models.IntegerField,  # BigIntegerField, SmallIntegerField, PositiveIntegerField …
    models.DateTimeField,
    models.ForeignKey,
    models.JSONField,
)


def _columns(model) -> list:
    return [field for field in model._meta.concrete_fields if not field.primary_key]


# A subclass that prepares values its own way is not plain: its values would go as given.
_PREPARING = ("get_prep_value", "get_db_prep_value", "get_db_prep_save", "pre_save")


def _base(field):
    return next((base for base in _PLAIN if isinstance(field, base)), None)


def _plain(field) -> bool:
    base = _base(field)
    return base is not None and all(
        getattr(type(field), name) is getattr(base, name) for name in _PREPARING
    )


def _converts(field) -> bool:
    """A subclass with its own to_python (core.text's fields normalise text there), which
    the plain types' get_prep_value calls: its values go through the field, as the ORM's."""
    base = _base(field)
    return base is not None and type(field).to_python is not base.to_python


def supports(model, connection) -> bool:
    if connection.vendor != "postgresql":
        return False
    for field in _columns(model):
        if not _plain(field) or getattr(field, "auto_now", False):
            return False
        if isinstance(field, models.DateTimeField) and field.auto_now_add:
            return False
        if isinstance(field, models.ForeignKey) and not isinstance(
            field.target_field, models.IntegerField
        ):
            return False
    return True


def _column_values(field, objs: Sequence[models.Model]) -> list:
    values = [getattr(obj, field.attname) for obj in objs]
    if _converts(field):
        return [field.get_prep_value(value) for value in values]
    if isinstance(field, models.JSONField):
        encoder = field.encoder
        return [None if value is None else json.dumps(value, cls=encoder) for value in values]
    return values


def _array_type(field, connection) -> str:
    if isinstance(field, models.JSONField):
        return "jsonb"
    if isinstance(field, models.CharField | models.TextField):
        # Not varchar(n)[]: an explicit cast to varchar(n) would cut a longer value
        # silently; stored into the column, it is refused.
        return "text"
    if isinstance(field, models.ForeignKey):
        db_type = field.target_field.rel_db_type(connection)
    else:
        db_type = field.db_type(connection)
    if db_type is None:
        raise TypeError(f"{field} has no column")
    return db_type


def upsert(
    model,
    objs: Sequence[models.Model],
    *,
    unique_fields: Sequence[str],
    update_fields: Sequence[str],
    using: str,
) -> list[models.Model]:
    """INSERT every object, or on a conflict over `unique_fields` UPDATE `update_fields`
    of the row already there; each object gets its row's primary key. PostgreSQL only
    (see `supports`)."""
    if not objs:
        return list(objs)
    connection = connections[using]
    meta = model._meta
    quote = connection.ops.quote_name
    fields = _columns(model)
    by_name = {field.name: field for field in fields}
    columns = ", ".join(quote(field.column) for field in fields)
    arrays = ", ".join(f"%s::{_array_type(field, connection)}[]" for field in fields)
    conflict = ", ".join(quote(by_name[name].column) for name in unique_fields)
    updates = ", ".join(
        f"{quote(by_name[name].column)} = EXCLUDED.{quote(by_name[name].column)}"
        for name in update_fields
    )
    pk = quote(meta.pk.column)
    # WITH ORDINALITY and ORDER BY: the rows are inserted, and returned, in list order.
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) "  # noqa: S608 - names are the model's
        f"SELECT {columns} FROM unnest({arrays}) WITH ORDINALITY AS v({columns}, n) ORDER BY n "
        f"ON CONFLICT ({conflict}) DO UPDATE SET {updates} RETURNING {pk}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [_column_values(field, objs) for field in fields])
        ids = [row[0] for row in cursor.fetchall()]
    if len(ids) != len(objs):
        raise RuntimeError(f"upsert returned {len(ids)} rows for {len(objs)}")
    for obj, pk_value in zip(objs, ids, strict=True):
        obj.pk = pk_value
        obj._state.adding = False
        obj._state.db = using
    return list(objs)
