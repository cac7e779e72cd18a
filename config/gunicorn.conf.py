"""gunicorn settings for Cordon's web process (Dockerfile, docker-compose.yml, make run).

Threaded workers (gthread): a long evidence upload occupies one thread, not a whole
worker, and the worker keeps answering its heartbeat, so `timeout` never kills an
upload in progress; it only replaces a worker that hangs. gunicorn sets no limit on
request bodies and streams them to Django, which writes uploads to disk as they
arrive (EVIDENCE_MAX_BYTES is the size limit). Everything comes from the environment.

Recycling never cuts a request. Workers are still replaced after about
GUNICORN_MAX_REQUESTS requests (a guard against slow leaks), but not by gunicorn's own
`max_requests`: that stops the worker the moment the count is reached, waits
`graceful_timeout` (60 s) for the requests in flight, then stops its heartbeat, and
`timeout` later the arbiter kills it, cutting whatever upload was still arriving (a
2 GiB push from a slow host takes far longer). Instead the hooks below count requests
and, once the count is reached, recycle the worker at the first moment no request is
in flight; until then it keeps serving, so no capacity is lost either. A request that
slips in while it stops (a kept-alive connection) is waited for too: a worker process
drains without a deadline, heartbeating (gunicorn >= 27), whatever stops it (recycling
or a reload). Shutting the server down is still bounded: the arbiter kills workers
GUNICORN_GRACEFUL_TIMEOUT after SIGTERM, so a deploy can cut an upload in flight (the
client sees an error and pushes again).

Trade-offs: a worker that always has a request in flight is recycled late (when it
next idles), and a client that goes silent in the middle of a request would hold its
thread, and so that worker's recycling, for ever; so a request whose client sends or
takes nothing for GUNICORN_TIMEOUT seconds fails (its socket read times out). A slow
upload that keeps sending is never cut; a dead one ends after that silence.
"""

import multiprocessing
import os
import random
import signal
import threading
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
# Seconds a worker, or a client in the middle of a request, may go silent before the
# worker is replaced or the request fails (not a limit on how long one request takes).
timeout = _int("GUNICORN_TIMEOUT", 300)
# Seconds the arbiter gives workers to finish when the server shuts down.
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 60)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Recycle workers now and then, so a slow leak never takes the process down; by the
# hooks below, never gunicorn's own max_requests (which cuts requests in flight).
max_requests = 0
recycle_after_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
recycle_jitter = recycle_after_requests // 10
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


# --- Recycling without cutting a request (see the module docstring) -----------------

# How long a stopping worker process waits for its requests in flight: no end in sight.
DRAIN_WITHOUT_DEADLINE = 10 * 365 * 24 * 60 * 60


class Recycler:
    """One worker's request count and requests in flight; says when to recycle it."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.handled = 0
        self.in_flight = 0
        self.stopping = False
        self._lock = threading.Lock()

    def started(self) -> None:
        with self._lock:
            self.handled += 1
            self.in_flight += 1

    def finished(self) -> bool:
        """Count one request done; True once, when the worker is due and now idle."""
        with self._lock:
            self.in_flight -= 1
            due = self.limit and self.handled >= self.limit
            if due and self.in_flight == 0 and not self.stopping:
                self.stopping = True
                return True
        return False


def post_worker_init(worker):
    # The worker's own copy of the settings: the arbiter keeps graceful_timeout.
    worker.cfg.set("graceful_timeout", DRAIN_WITHOUT_DEADLINE)
    jitter = random.randint(0, recycle_jitter)  # noqa: S311 - spreads restarts, no secret
    worker.recycler = Recycler(recycle_after_requests + jitter if recycle_after_requests else 0)


def pre_request(worker, req):
    worker.log.debug("%s %s", req.method, req.path)
    worker.recycler.started()
    # A client silent this long in the middle of its request is gone: fail the read.
    sock = getattr(getattr(req, "unreader", None), "sock", None)
    if sock is not None and timeout:
        sock.settimeout(timeout)


def post_request(worker, req, environ, resp):
    if worker.recycler.finished():
        worker.log.info(
            "Recycling worker after %s requests, none in flight.", worker.recycler.handled
        )
        # The same graceful stop as the arbiter's SIGTERM: stop accepting, drain, exit.
        os.kill(os.getpid(), signal.SIGTERM)
