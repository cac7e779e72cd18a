"""Purging accounts' bookkeeping rows: idempotency records past their replay window,
sessions long expired, and old sign-in attempts. core/housekeeping.py deletes them in
batches and sums each run up in one audit event; accounts/tasks.py runs this nightly
(beat)."""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from accounts.models import IdempotencyRecord, LoginAttempt, UserSession
from core import housekeeping


def accounts_purge_expired(*, now: datetime | None = None) -> dict[str, int]:
    """Delete idempotency records IDEMPOTENCY_RETENTION_DAYS after filing (never while
    a retry could still be replayed), sessions SESSION_RETENTION_DAYS after they
    expired (Cordon's own, accounts.UserSession, and any in Django's stock table) and
    sign-in attempts LOGIN_ATTEMPT_RETENTION_DAYS after they were made, except each
    person's latest sign-in completed with a second factor: it is what "your last
    sign-in" and the failures since it are counted from (accounts/services/signin.py).
    Every attempt is in the audit log too (`login.succeeded`, `login.failed`), never purged."""
    now = now or timezone.now()
    replayable = timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    idempotency_cutoff = now - max(timedelta(days=settings.IDEMPOTENCY_RETENTION_DAYS), replayable)
    session_cutoff = now - timedelta(days=settings.SESSION_RETENTION_DAYS)
    attempt_cutoff = now - timedelta(days=settings.LOGIN_ATTEMPT_RETENTION_DAYS)
    complete = Q(succeeded=True, second_factor_at__isnull=False)
    newer_complete = LoginAttempt.objects.filter(
        complete, user=OuterRef("user"), attempted_at__gt=OuterRef("attempted_at")
    )
    return housekeeping.purge(
        source="accounts",
        kinds={
            "idempotency_records": IdempotencyRecord.objects.filter(
                created_at__lt=idempotency_cutoff
            ),
            "sessions": UserSession.objects.filter(expire_date__lt=session_cutoff),
            "django_sessions": Session.objects.filter(expire_date__lt=session_cutoff),
            "login_attempts": LoginAttempt.objects.filter(attempted_at__lt=attempt_cutoff).exclude(
                complete & Q(user__isnull=False) & ~Exists(newer_complete)
            ),
        },
    )
