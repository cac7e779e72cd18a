"""A person's saved filters of the incident list: their own, nobody else's."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

import audit
from core.db import unique_or
from incidents.models import SAVED_FILTERS_PER_PERSON, SavedFilter


def _require_active(actor) -> None:
    if actor is None or not actor.is_authenticated or not actor.is_active:
        raise PermissionDenied("Sign in to save filters.")


@transaction.atomic
def saved_filter_save(*, owner, name: str, query: str) -> SavedFilter:
    """Name the list's current filters and order (`query`, as the filter form accepted
    it); saving under a name the person already uses replaces what it holds."""
    _require_active(owner)
    saved = (
        SavedFilter.objects.select_for_update(no_key=True, of=("self",))
        .filter(owner=owner, name=name.strip())
        .first()
    )
    if saved is None:
        if SavedFilter.objects.filter(owner=owner).count() >= SAVED_FILTERS_PER_PERSON:
            raise ValidationError(
                {"name": [f"At most {SAVED_FILTERS_PER_PERSON} saved filters: delete one first."]}
            )
        saved = SavedFilter(owner=owner, name=name)
    saved.query = query
    saved.full_clean(exclude=["owner"])
    with unique_or({"name": ["You already have a saved filter of that name."]}):
        saved.save()
    audit.record("saved_filter.saved", actor=owner, target=saved, data={"name": saved.name})
    return saved


@transaction.atomic
def saved_filter_delete(*, saved_filter: SavedFilter, actor) -> None:
    _require_active(actor)
    if saved_filter.owner_id != actor.pk:
        raise PermissionDenied("Only its owner deletes a saved filter.")
    audit.record(
        "saved_filter.deleted", actor=actor, target=saved_filter, data={"name": saved_filter.name}
    )
    saved_filter.delete()
