"""gunicorn settings for Cordon's web process (Dockerfile, docker-compose.yml, make run).

Threaded workers (gthread): a long evidence upload occupies one thread, not a whole
worker, and the worker keeps answering its heartbeat, so `timeout` never kills an
upload in progress; it only replaces a worker that hangs. gunicorn sets no limit on
request bodies and streams them to Django, which writes uploads to disk as they
arrive (EVIDENCE_MAX_BYTES is the size limit). Everything comes from the environment.
"""

import multiprocessing
import os
from pathlib import Path


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


bind = os.environ.get("GUNICORN_BIND") or (
    f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"  # noqa: S104
)
# WEB_CONCURRENCY is the usual name for "worker processes" (Heroku, buildpacks).
workers = _int("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, 8))
worker_class = "gthread"
threads = _int("GUNICORN_THREADS", 4)
# Seconds a worker may go silent before it is replaced (not a limit on one request).
timeout = _int("GUNICORN_TIMEOUT", 300)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 60)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Recycle workers now and then, so a slow leak never takes the process down.
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = max_requests // 10
# Request line and headers stay bounded (gunicorn's defaults); the body is not limited here.
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190
# Only these proxies may tell us the scheme (X-Forwarded-Proto); see TRUSTED_PROXIES too.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# Heartbeat files in memory, not on a possibly slow container disk.
if Path("/dev/shm").is_dir():  # noqa: S108 - gunicorn's own recommendation
    worker_tmp_dir = "/dev/shm"  # noqa: S108
