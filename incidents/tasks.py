"""Celery tasks of incidents: thin wrappers around their services."""

from celery import shared_task
from django.db import OperationalError

from incidents.services.incident import (
    incident_notify_leads_of_filing,
    incidents_notify_owed,
)


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def incident_notify_leads(incident_id: int) -> bool:
    """After a filing commits: tell its leads (once, however often this runs)."""
    return incident_notify_leads_of_filing(incident_id=incident_id)


@shared_task(ignore_result=True)
def incidents_notify_owed_leads() -> int:
    """Beat: the notices a lost message left owing."""
    return incidents_notify_owed()
