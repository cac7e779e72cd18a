"""Purging rows that have served their purpose, in bounded batches, summed up once.

Each app that keeps bookkeeping rows (idempotency records, expired sessions, sent
messages) has a purge service that hands this module its querysets, one per *kind*,
and registers itself (`register`) in its AppConfig.ready(), so that
`manage.py purge_expired` runs every one and beat runs each app's task.

`purge()` deletes each queryset's rows a batch at a time (ordered by primary key,
BATCH_SIZE rows, each batch its own short transaction: no huge DELETE holding locks,
no long transaction) through Django's ordinary delete, so on_delete rules and other
receivers still apply. The rows are bookkeeping, not domain facts: instead of one
audit event per deleted row, the run sends `purged` once, with the count of each kind
and of each model deleted (cascades included); the audit log's generic capture
(audit/capture.py) records it as one `housekeeping.purged` event and, while
`purging()` is true, records no per-row deletions. A run that deleted nothing sends
nothing. Running a purge again deletes nothing more: it is idempotent.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import transaction
from django.db.models import QuerySet
from django.dispatch import Signal

BATCH_SIZE = 1000

# Sent once per purge run that deleted something: sender is the app label; arguments
# `counts` ({kind: rows}) and `models` ({"app.model": rows}, cascades included).
purged = Signal()

_purging: ContextVar[bool] = ContextVar("housekeeping_purging", default=False)
_registry: dict[str, Callable[[], dict[str, int]]] = {}


def purging() -> bool:
    """True while a purge deletes rows (its summary stands for them in the audit log)."""
    return _purging.get()


@contextmanager
def _deleting() -> Iterator[None]:
    token = _purging.set(True)
    try:
        yield
    finally:
        _purging.reset(token)


def _deleted_batches(queryset: QuerySet) -> Iterator[dict[str, int]]:
    """Delete the queryset's rows BATCH_SIZE at a time; yield each batch's counts by model."""
    last_pk = None
    while True:
        page = queryset.order_by("pk")
        if last_pk is not None:
            page = page.filter(pk__gt=last_pk)
        pks = list(page.values_list("pk", flat=True)[:BATCH_SIZE])
        if not pks:
            return
        last_pk = pks[-1]
        # The queryset's own conditions again: a row that changed since is kept.
        with transaction.atomic(), _deleting():
            _, per_model = queryset.filter(pk__in=pks).delete()
        yield per_model


def purge(*, source: str, kinds: dict[str, QuerySet]) -> dict[str, int]:
    """Delete every row of each queryset in `kinds` and return {kind: rows deleted}.

    The summary is sent even when a later batch fails, for the batches already done.
    """
    counts = dict.fromkeys(kinds, 0)
    models: Counter = Counter()
    try:
        for kind, queryset in kinds.items():
            for per_model in _deleted_batches(queryset):
                counts[kind] += per_model.get(queryset.model._meta.label, 0)
                models.update({label.lower(): n for label, n in per_model.items() if n})
    finally:
        if models:
            purged.send(sender=source, counts=counts, models=dict(sorted(models.items())))
    return counts


def register(label: str, purge_expired: Callable[[], dict[str, int]]) -> None:
    """Make an app's purge service part of `manage.py purge_expired`."""
    _registry[label] = purge_expired


def registered() -> dict[str, Callable[[], dict[str, int]]]:
    return dict(_registry)
