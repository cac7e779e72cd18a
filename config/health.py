"""/healthz: is the database reachable, and the broker when one is configured."""

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from kombu import Connection
from kombu.exceptions import OperationalError as BrokerError

from audit.logging import note_database_error

BROKER_TIMEOUT_SECONDS = 2


def _database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        # Refused credentials are logged and counted: the audit log cannot hold them.
        note_database_error(error, where="healthz")
        return "error"
    return "ok"


def _broker_status() -> str:
    if not settings.CELERY_BROKER_URL:
        return "disabled"
    try:
        with Connection(settings.CELERY_BROKER_URL, connect_timeout=BROKER_TIMEOUT_SECONDS) as conn:
            conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)
    except (BrokerError, OSError):
        return "error"
    return "ok"


@never_cache
@require_GET
def healthz(request):
    body = {"status": "ok", "database": _database_status(), "broker": _broker_status()}
    if "error" in (body["database"], body["broker"]):
        body["status"] = "error"
    return JsonResponse(body, status=200 if body["status"] == "ok" else 503)
