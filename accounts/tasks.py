"""Celery tasks for accounts: thin, idempotent, safe to retry."""

from celery import shared_task
from django.db import OperationalError

from accounts import housekeeping

MAX_RETRIES = 3


@shared_task(
    ignore_result=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=MAX_RETRIES,
)
def accounts_purge_expired() -> dict[str, int]:
    """Beat, nightly: expired idempotency records and sessions past their retention."""
    return housekeeping.accounts_purge_expired()
