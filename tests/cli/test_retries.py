"""Retries with backoff against a stand-in server that fails first: a transfer is sent
again whole, an incident is filed with one Idempotency-Key across attempts, and the
retries stop after the bound."""

import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from cordon_cli import client as client_module
from cordon_cli.client import Client
from cordon_cli.errors import EXIT_UNAVAILABLE, ApiError, CliError, Unavailable
from cordon_cli.upload import MultipartUpload, ProgressBar


class FlakyServer(ThreadingHTTPServer):
    """Answers 503 to the first `failures` requests, then `answer`; records every request."""

    def __init__(self, failures: int, answer: dict):
        super().__init__(("127.0.0.1", 0), FlakyHandler)
        self.failures = failures
        self.answer = answer
        self.seen: list[tuple[dict, bytes]] = []


class FlakyHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.seen.append((dict(self.headers), body))
        failing = len(self.server.seen) <= self.server.failures
        payload = json.dumps({"detail": "down"} if failing else self.server.answer).encode()
        self.send_response(503 if failing else 201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def flaky(monkeypatch):
    monkeypatch.setattr(client_module, "BACKOFF_SECONDS", 0.01)
    servers = []

    def start(failures: int, answer: dict):
        server = FlakyServer(failures, answer)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server, Client(
            f"http://127.0.0.1:{server.server_port}", "t", retries=2, log=lambda message: None
        )

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_a_failed_upload_is_sent_again_whole(flaky, tmp_path):
    server, client = flaky(1, {"id": 7})
    path = tmp_path / "a.log"
    path.write_bytes(b"line\n" * 100_000)
    upload = MultipartUpload(path, {"kind": "log"})
    answer = client.request("POST", "/incidents/1/evidence/", body_factory=upload.open)
    assert answer == {"id": 7}
    assert len(server.seen) == 2
    first, second = (
        body.replace(headers["Content-Type"].split("boundary=")[1].encode(), b"BOUNDARY")
        for headers, body in server.seen
    )
    assert b"line\n" * 100_000 in first
    assert first == second
    assert upload.outcome.sha256 in second.decode()
    # The sender's hash comes after the file part, once every byte was read.
    assert second.index(b'name="sha256"') > second.index(b'name="file"')


def test_filing_retries_with_one_idempotency_key(flaky):
    server, client = flaky(2, {"reference": "INC-2026-0001"})
    assert client.incident_file({"title": "x", "severity": "low"})["reference"]
    keys = {headers["Idempotency-Key"] for headers, _ in server.seen}
    assert len(server.seen) == 3
    assert len(keys) == 1


def test_retries_are_bounded(flaky):
    server, client = flaky(10, {})
    with pytest.raises(ApiError) as failure:
        client.request("POST", "/incidents/", json_body={})
    assert failure.value.exit_code == EXIT_UNAVAILABLE
    assert len(server.seen) == 3


def test_a_timeout_is_unavailable(monkeypatch):
    import socket

    with socket.socket() as listener:  # accepts connections, never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        client = Client(f"http://127.0.0.1:{listener.getsockname()[1]}", "t", retries=0)
        with pytest.raises(Unavailable, match="timeout"):
            client.request("GET", "/incidents/", timeout=0.5)


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_only_on_a_terminal():
    terminal, pipe = FakeTerminal(), io.StringIO()
    for stream in (terminal, pipe):
        bar = ProgressBar("disk.img", stream=stream)
        bar(50, 100)
        bar(100, 100)
        bar.finish()
    assert "disk.img" in terminal.getvalue()
    assert "100%" in terminal.getvalue()
    assert pipe.getvalue() == ""


class RedirectHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(301)
        self.send_header("Location", "https://cordon.example.org/api/v1/incidents/")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_a_redirect_is_never_followed_with_the_token():
    server = ThreadingHTTPServer(("127.0.0.1", 0), RedirectHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = Client(f"http://127.0.0.1:{server.server_port}", "t", retries=0)
        with pytest.raises(CliError, match=r"redirect to https://cordon\.example\.org"):
            client.get("/incidents/")
    finally:
        server.shutdown()
        server.server_close()
