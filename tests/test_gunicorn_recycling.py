"""A long evidence upload is never cut when gunicorn recycles its worker.

Starts the real web process (config/gunicorn.conf.py: one worker, recycled after two
requests, a two-second graceful timeout and a three-second heartbeat timeout, so what
takes minutes in production takes seconds here) on the test database. A slow upload
that lasts several of those timeouts must get its 201 with the receipt of exactly the
bytes sent, the requests made meanwhile must be served, and the worker must still be
replaced afterwards (the leak guard works). A client gone silent mid-upload must not
keep the worker from being replaced.
"""

import contextlib
import hashlib
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

from tests.factories import issue_token

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parent.parent
GRACEFUL_TIMEOUT = 2
# The heartbeat timeout: a worker silent this long is killed (300 s in production).
WORKER_TIMEOUT = 3
CHUNK = 64 * 1024
CHUNKS = 50
PAUSE = 0.2  # the upload lasts about 10 s: longer than graceful and heartbeat timeouts
STARTUP_SECONDS = 30


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _worker_pids(master: int) -> set[int]:
    path = Path(f"/proc/{master}/task/{master}/children")
    return {int(pid) for pid in path.read_text().split()} if path.exists() else set()


class SlowUpload:
    """A multipart body (`kind` and one `file`) sent a chunk at a time with pauses, as
    from a slow host, with an exact Content-Length; hashes what it sends."""

    def __init__(self) -> None:
        self.boundary = uuid.uuid4().hex
        self.head = (
            f"--{self.boundary}\r\n"
            'Content-Disposition: form-data; name="kind"\r\n\r\ndisk_image\r\n'
            f"--{self.boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="disk.img"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        self.tail = f"\r\n--{self.boundary}--\r\n".encode()
        self.sha256 = hashlib.sha256()
        self.started = threading.Event()

    @property
    def content_length(self) -> int:
        return len(self.head) + CHUNK * CHUNKS + len(self.tail)

    def __iter__(self):
        yield self.head
        for counter in range(CHUNKS):
            chunk = counter.to_bytes(8, "big") * (CHUNK // 8)
            self.sha256.update(chunk)
            yield chunk
            self.started.set()
            time.sleep(PAUSE)
        yield self.tail


def _get(port: int, path: str, timeout: float = 5) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


@pytest.fixture
def gunicorn(tmp_path):
    """The web process as deployed, on a free port and the test database."""
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DATABASE_CONN_MAX_AGE": "0",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "GUNICORN_THREADS": "4",
        "GUNICORN_MAX_REQUESTS": "2",
        "GUNICORN_GRACEFUL_TIMEOUT": str(GRACEFUL_TIMEOUT),
        "GUNICORN_TIMEOUT": str(WORKER_TIMEOUT),
        "EVIDENCE_ROOT": str(tmp_path / "vault"),
        "EVIDENCE_STORAGE": "local",
        # Hashing runs in the web process after commit; nothing is left on a queue.
        "CELERY_BROKER_URL": "",
        "CACHE_URL": "locmemcache://recycling",
        "LOG_LEVEL": "WARNING",
    }
    log = (tmp_path / "gunicorn.log").open("wb")
    process = subprocess.Popen(  # noqa: S603 - our own gunicorn and configuration
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi:application",
            "--config",
            "config/gunicorn.conf.py",
            # Not the control socket in $HOME every other gunicorn here uses too.
            "--no-control-socket",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    process.port = port
    process.log = tmp_path / "gunicorn.log"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not _worker_pids(process.pid) or not _is_up(port):
            assert process.poll() is None, process.log.read_text()
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        # The server's connections must be gone before the test database is flushed.
        connection.close()


def _is_up(port: int, timeout: float = 2) -> bool:
    try:
        return _get(port, "/healthz", timeout=timeout) == 200
    except OSError:
        return False


def _replaced(server, worker: int) -> bool:
    """Whether `worker` is gone and a new one answers (waiting a little for both)."""
    deadline = time.monotonic() + 20
    while worker in _worker_pids(server.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    return worker not in _worker_pids(server.pid) and _is_up(server.port, timeout=20)


def _upload_headers(token: str, upload: "SlowUpload") -> dict:
    return {
        "Authorization": f"Bearer {token}",
        "Content-Type": f"multipart/form-data; boundary={upload.boundary}",
        "Content-Length": str(upload.content_length),
    }


def test_a_slow_upload_survives_the_worker_being_recycled(gunicorn, lead, make_incident):
    case = make_incident(reporter=lead)
    token = issue_token(lead, "incidents:read", "evidence:read", "evidence:write")
    (first_worker,) = _worker_pids(gunicorn.pid)
    upload = SlowUpload()
    answer = {}

    def push():
        conn = http.client.HTTPConnection("127.0.0.1", gunicorn.port, timeout=60)
        try:
            conn.request(
                "POST",
                f"/api/v1/incidents/{case.pk}/evidence/",
                body=iter(upload),
                headers=_upload_headers(token, upload),
            )
            response = conn.getresponse()
            answer["status"] = response.status
            answer["body"] = response.read()
        except (OSError, http.client.HTTPException) as error:
            answer["error"] = repr(error)
        finally:
            answer["at"] = time.monotonic()
            conn.close()

    served = []

    def probe():
        try:
            served.append((_get(gunicorn.port, "/healthz", timeout=30), time.monotonic()))
        except OSError as error:
            served.append((repr(error), time.monotonic()))

    started = time.monotonic()
    pusher = threading.Thread(target=push)
    pusher.start()
    assert upload.started.wait(10)
    # The start-up probe and the upload are two requests: the worker is due for
    # recycling from here on; these make it more than due.
    probes = []
    for _ in range(3):
        time.sleep(0.5)
        probes.append(threading.Thread(target=probe))
        probes[-1].start()
    pusher.join(timeout=60)
    for other in probes:
        other.join(timeout=30)

    assert answer.get("status") == 201, (answer, gunicorn.log.read_text()[-3000:])
    assert answer["at"] - started > WORKER_TIMEOUT + GRACEFUL_TIMEOUT + 2, "not slow enough"
    item = json.loads(answer["body"])
    assert item["size"] == CHUNK * CHUNKS
    assert item["receipt_sha256"] == upload.sha256.hexdigest()
    # The worker kept serving while it was due: no request waited for the upload.
    assert [status for status, _ in served] == [200, 200, 200]
    assert all(at < answer["at"] for _, at in served)
    # The leak guard still works: the worker was replaced once the upload was done.
    assert _replaced(gunicorn, first_worker), gunicorn.log.read_text()[-3000:]


def test_a_client_gone_silent_mid_upload_does_not_keep_the_worker(gunicorn, lead, make_incident):
    """The worker is due (start-up probe and this upload); its only request's client
    stops sending. The read fails after GUNICORN_TIMEOUT, and the worker is recycled."""
    case = make_incident(reporter=lead)
    token = issue_token(lead, "evidence:write")
    (first_worker,) = _worker_pids(gunicorn.pid)
    upload = SlowUpload()
    head = "".join(f"{name}: {value}\r\n" for name, value in _upload_headers(token, upload).items())
    with socket.create_connection(("127.0.0.1", gunicorn.port), timeout=30) as sock:
        sock.sendall(
            f"POST /api/v1/incidents/{case.pk}/evidence/ HTTP/1.1\r\n"
            f"Host: 127.0.0.1\r\n{head}\r\n".encode()
            + upload.head
            + b"\0" * CHUNK
        )
        # ...and nothing more: the server gives up on us (an answer or a closed socket).
        started = time.monotonic()
        with contextlib.suppress(OSError):
            sock.recv(1024)
        gave_up_after = time.monotonic() - started
    assert gave_up_after < 20
    assert _replaced(gunicorn, first_worker), gunicorn.log.read_text()[-3000:]
