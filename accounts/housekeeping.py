"""Purging accounts' bookkeeping rows: idempotency records past their replay window and
sessions long expired. core/housekeeping.py deletes them in batches and sums each run
up in one audit event; accounts/tasks.py runs this nightly (beat)."""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone

from accounts.models import IdempotencyRecord, UserSession
from core import housekeeping


def accounts_purge_expired(*, now: datetime | None = None) -> dict[str, int]:
    """Delete idempotency records IDEMPOTENCY_RETENTION_DAYS after filing (never while
    a retry could still be replayed) and sessions SESSION_RETENTION_DAYS after they
    expired: Cordon's own (accounts.UserSession) and any in Django's stock table."""
    now = now or timezone.now()
    replayable = timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    idempotency_cutoff = now - max(timedelta(days=settings.IDEMPOTENCY_RETENTION_DAYS), replayable)
    session_cutoff = now - timedelta(days=settings.SESSION_RETENTION_DAYS)
    return housekeeping.purge(
        source="accounts",
        kinds={
            "idempotency_records": IdempotencyRecord.objects.filter(
                created_at__lt=idempotency_cutoff
            ),
            "sessions": UserSession.objects.filter(expire_date__lt=session_cutoff),
            "django_sessions": Session.objects.filter(expire_date__lt=session_cutoff),
        },
    )
