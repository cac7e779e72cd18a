"""Shared fixtures: one person per role, an incident, API clients with tokens."""

import pytest
from rest_framework.test import APIClient

from accounts.roles import Role
from accounts.scopes import Scope
from tests.factories import IncidentFactory, MemberFactory, issue_token

ALL_SCOPES = tuple(Scope.values)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counters live in the cache (Redis in CI): every test starts from zero.

    Under pytest-xdist the processes share one Redis, each under its own key prefix
    (config/settings/base.py): clear() would empty the others' keys mid-test, so a process
    deletes only its own.
    """
    from django.core.cache import cache

    prefix = cache.key_prefix
    client = getattr(getattr(cache, "_cache", None), "get_client", None)
    if not prefix or client is None:
        cache.clear()
        return
    redis = client(write=True)
    keys = list(redis.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        redis.delete(*keys)


def sign_in(client, user, *, step_up: bool = True):
    """Sign `user` in on a test client as after password and second factor.

    With step_up, the session also holds a fresh step-up (as right after a code).
    The real pages that do this are tested in tests/accounts.
    """
    import time

    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.twofactor import STEP_UP_SESSION_KEY

    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test authenticator", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    if step_up:
        session[STEP_UP_SESSION_KEY] = time.time()
    session.save()
    return device


@pytest.fixture
def make_member(db):
    def make(role=Role.RESPONDER, **kwargs):
        return MemberFactory(role=role, **kwargs)

    return make


@pytest.fixture
def lead(make_member):
    return make_member(Role.LEAD, username="lea")


@pytest.fixture
def responder(make_member):
    return make_member(Role.RESPONDER, username="rick")


@pytest.fixture
def manager(make_member):
    return make_member(Role.MANAGER, username="mona")


@pytest.fixture
def legal(make_member):
    return make_member(Role.LEGAL, username="lars")


@pytest.fixture
def auditor(make_member):
    return make_member(Role.AUDITOR, username="audrey")


@pytest.fixture
def reporter(make_member):
    return make_member(Role.REPORTER, username="ronja")


@pytest.fixture
def incident(responder):
    return IncidentFactory(reporter=responder)


@pytest.fixture
def make_incident(db):
    return IncidentFactory


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def token_client(db):
    """`token_client(user, "incidents:read", ...)` → an APIClient sending that user's new token."""

    def make(user, *scopes):
        client = APIClient()
        raw = issue_token(user, *(scopes or ALL_SCOPES))
        # A client already in use: its once-a-minute "api_token.used" event lies behind
        # it, so a test counting audit events sees only what its own request writes.
        # (tests/audit/test_events.py tests that event from a token's first use.)
        from django.core.cache import cache

        from accounts.authentication import token_used_cache_key
        from accounts.models import ApiToken, hash_token

        token = ApiToken.objects.get(token_hash=hash_token(raw))
        cache.set(token_used_cache_key(token.pk), True, 60)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        client.raw_token = raw
        return client

    return make


@pytest.fixture
def celery_worker(request, transactional_db, tmp_path):
    """A real Celery worker process on the configured broker, sharing the test database.

    Needs CELERY_BROKER_URL and PostgreSQL (the worker is another process, so the
    test database must be a server, not SQLite in memory); skipped otherwise.
    The worker writes e-mail to files in `worker.mail_dir`.
    """
    import contextlib
    import os
    import subprocess
    import sys

    from django.conf import settings
    from django.db import connection

    from config.celery import app

    if not settings.CELERY_BROKER_URL:
        pytest.skip("needs CELERY_BROKER_URL (a real broker) for a real worker")
    if connection.vendor != "postgresql":
        pytest.skip("a worker process needs the test database on PostgreSQL")
    db = connection.settings_dict
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "EMAIL_URL": "filemail://",
        "EMAIL_FILE_PATH": str(mail_dir),
        "DATABASE_CONN_MAX_AGE": "0",
    }
    # A test (or its module) may define a `celery_worker_env` fixture with more
    # variables for the worker, e.g. EMAIL_URL for a local SMTP server.
    with contextlib.suppress(pytest.FixtureLookupError):
        env.update(request.getfixturevalue("celery_worker_env"))
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge(settings.CELERY_TASK_DEFAULT_QUEUE)
    command = [
        sys.executable,
        "-m",
        "celery",
        "--app",
        "config",
        "worker",
        "--pool",
        "solo",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--loglevel",
        "WARNING",
    ]
    process = subprocess.Popen(command, env=env, cwd=settings.BASE_DIR)  # noqa: S603 - ours
    process.mail_dir = mail_dir
    # Another worker like this one, for tests of a worker that dies (the caller ends it).
    process.start_another = lambda: subprocess.Popen(  # noqa: S603 - our own command
        command, env=env, cwd=settings.BASE_DIR
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        # The worker's own connections must be gone before the test database is flushed.
        connection.close()


def wait_for(predicate, *, timeout=30.0, interval=0.1):
    """Poll until predicate() is truthy; return its value or fail after `timeout` seconds."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"condition not met within {timeout} s")


def assert_truncate_refused(table: str) -> None:
    """TRUNCATE of `table` (CASCADE, so no foreign key stops it first) is refused by its
    append-only trigger, and the test's transaction goes on unharmed."""
    from django.db import DatabaseError, connection, transaction

    with connection.cursor() as cursor:
        # A TRUNCATE waits for no deferred foreign-key checks of this transaction
        # ("pending trigger events"): run them now, so the refusal is the trigger's.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        try:
            with (
                pytest.raises(DatabaseError, match=f"TRUNCATE of {table} refused"),
                transaction.atomic(),
            ):
                cursor.execute(f"TRUNCATE {table} CASCADE")
        finally:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


# --- Tests that commit ------------------------------------------------------
#
# A test that commits (transactional_db, live_server) ends with a flush that empties
# every table; the flush's post_migrate step creates the role groups again from the
# role matrix (accounts/apps.py). The flush is the harness's own (tests/db_flush.py):
# Django's is refused by the append-only tables' TRUNCATE guards.


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup):
    from tests import db_flush

    db_flush.install()


def _commits(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    if marker is not None and (marker.kwargs.get("transaction") or marker.args[:1] == (True,)):
        return True
    return bool({"transactional_db", "live_server"} & set(request.fixturenames))


@pytest.fixture(autouse=True)
def _harness_flush(request):
    """Before each test that commits: the harness's flush is the one its teardown runs
    (Django empties its command cache when a test overrides INSTALLED_APPS)."""
    if _commits(request):
        from tests import db_flush

        db_flush.install()
