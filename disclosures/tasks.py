"""Celery tasks for disclosures: thin and idempotent (running twice sends nothing twice)."""

from celery import shared_task

from disclosures.reminders import reminders_send


@shared_task
def send_disclosure_reminders() -> int:
    """Run by celery beat (settings.CELERY_BEAT_SCHEDULE)."""
    return reminders_send()
