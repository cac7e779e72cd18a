"""Purging accounts' bookkeeping rows: idempotency records and expired sessions."""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from accounts.housekeeping import accounts_purge_expired
from accounts.models import IdempotencyRecord, UserSession
from accounts.tasks import accounts_purge_expired as purge_task
from audit.models import AuditEvent
from config.celery import app

pytestmark = pytest.mark.django_db


def _record(user, key: str, age: timedelta) -> IdempotencyRecord:
    return IdempotencyRecord.objects.create(
        user=user,
        key=key,
        fingerprint="0" * 64,
        status_code=201,
        response_body={"id": 1},
        created_at=timezone.now() - age,
    )


def _session(user, key: str, expires_in: timedelta) -> UserSession:
    return UserSession.objects.create(
        session_key=key.ljust(32, "0"),
        session_data="",
        expire_date=timezone.now() + expires_in,
        user=user,
    )


def _keys(model, field="pk") -> set:
    return set(model.objects.values_list(field, flat=True))


def test_idempotency_records_past_their_retention_are_purged_and_fresh_ones_kept(
    responder, settings
):
    settings.IDEMPOTENCY_RETENTION_DAYS = 2
    _record(responder, "old", timedelta(days=3))
    _record(responder, "fresh", timedelta(days=1))

    counts = accounts_purge_expired()

    assert counts["idempotency_records"] == 1
    assert _keys(IdempotencyRecord, "key") == {"fresh"}


def test_a_record_a_retry_could_still_replay_is_kept_whatever_the_retention(responder, settings):
    settings.IDEMPOTENCY_RETENTION_DAYS = 0
    replay_window = timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    _record(responder, "replayable", replay_window - timedelta(hours=1))
    _record(responder, "dead", replay_window + timedelta(hours=1))

    accounts_purge_expired()

    assert _keys(IdempotencyRecord, "key") == {"replayable"}


def test_sessions_are_purged_retention_days_after_they_expired(responder, settings):
    settings.SESSION_RETENTION_DAYS = 30
    live = _session(responder, "live", timedelta(minutes=20))
    lately = _session(responder, "lately", -timedelta(days=29))
    _session(responder, "long-ago", -timedelta(days=31))
    Session.objects.create(
        session_key="stock".ljust(32, "0"),
        session_data="",
        expire_date=timezone.now() - timedelta(days=31),
    )

    counts = accounts_purge_expired()

    assert counts == {
        "idempotency_records": 0,
        "sessions": 1,
        "django_sessions": 1,
        "login_attempts": 0,
    }
    assert _keys(UserSession) == {live.pk, lately.pk}
    assert not Session.objects.exists()


def test_a_run_is_one_audit_event_and_running_it_again_is_harmless(responder):
    for n in range(3):
        _record(responder, f"old-{n}", timedelta(days=30))
    _session(responder, "gone", -timedelta(days=365))
    before = AuditEvent.objects.count()

    first = accounts_purge_expired()
    second = accounts_purge_expired()

    assert first == {
        "idempotency_records": 3,
        "sessions": 1,
        "django_sessions": 0,
        "login_attempts": 0,
    }
    assert second == {
        "idempotency_records": 0,
        "sessions": 0,
        "django_sessions": 0,
        "login_attempts": 0,
    }
    (event,) = AuditEvent.objects.order_by("id")[before:]
    assert event.action == "housekeeping.purged"
    assert event.data == {
        "source": "accounts",
        "counts": first,
        "models": {"accounts.idempotencyrecord": 3, "accounts.usersession": 1},
    }


def test_the_task_purges_and_beat_runs_it_nightly(responder, settings):
    _record(responder, "old", timedelta(days=30))

    purge_task()

    assert not IdempotencyRecord.objects.exists()
    entry = settings.CELERY_BEAT_SCHEDULE["accounts-purge-expired"]
    assert entry["task"] == purge_task.name == "accounts.tasks.accounts_purge_expired"
    assert entry["task"] in app.tasks
    assert entry["schedule"].hour == {3} and entry["schedule"].minute == {30}


def _attempt(user, *, days_ago: float, succeeded=True, complete=True, username=None):
    from accounts.models import LoginAttempt

    at = timezone.now() - timedelta(days=days_ago)
    return LoginAttempt.objects.create(
        username=username or (user.username if user else "nobody"),
        user=user,
        succeeded=succeeded,
        second_factor_at=at if (succeeded and complete) else None,
        attempted_at=at,
    )


def test_old_sign_in_attempts_go_but_each_persons_latest_complete_sign_in_stays(
    responder, lead, settings
):
    from accounts.models import LoginAttempt
    from accounts.services.signin import failed_attempts_since_previous_login

    settings.LOGIN_ATTEMPT_RETENTION_DAYS = 180
    kept_last = _attempt(responder, days_ago=400)  # their latest complete sign-in
    old_complete = _attempt(responder, days_ago=500)
    old_failure = _attempt(responder, days_ago=450, succeeded=False)
    password_only = _attempt(responder, days_ago=300, complete=False)
    recent_failure = _attempt(responder, days_ago=10, succeeded=False)
    unknown_name = _attempt(None, days_ago=365, succeeded=False, username="root")
    lead_old = _attempt(lead, days_ago=200)
    lead_recent = _attempt(lead, days_ago=1)

    counts = accounts_purge_expired()

    assert counts["login_attempts"] == 5
    assert set(LoginAttempt.objects.values_list("pk", flat=True)) == {
        kept_last.pk,
        recent_failure.pk,
        lead_recent.pk,
    }
    for gone in (old_complete, old_failure, password_only, unknown_name, lead_old):
        assert not LoginAttempt.objects.filter(pk=gone.pk).exists()
    # "Failures since your last sign-in" still counts from the sign-in that was kept.
    assert failed_attempts_since_previous_login(responder) == [recent_failure]
    assert accounts_purge_expired()["login_attempts"] == 0
