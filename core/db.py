"""Database plumbing shared by every app's services."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

# PostgreSQL's SQLSTATE for a unique_violation; SQLite says it in words.
UNIQUE_VIOLATION = "23505"


def is_unique_violation(error: IntegrityError) -> bool:
    if getattr(error.__cause__, "pgcode", None) == UNIQUE_VIOLATION:
        return True
    return "UNIQUE constraint failed" in str(error)


@contextmanager
def unique_or(errors: dict[str, list[str]]) -> Iterator[None]:
    """Insert inside this block; a unique violation becomes ValidationError(errors).

    A service checks "already there?" before it inserts, but two requests at the same
    moment both pass the check and the second insert then hits the unique constraint.
    Wrapped in this block (a savepoint), the loser gets the same answer the check
    gives, a form or 400 error, instead of a 500; its transaction stays usable.
    """
    try:
        with transaction.atomic():
            yield
    except IntegrityError as error:
        if not is_unique_violation(error):
            raise
        raise ValidationError(errors) from error
