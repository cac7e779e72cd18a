"""Benchmark: filing incidents over the REST API (gunicorn, 2 workers, PostgreSQL).

Run with `.venv/bin/python bench/api_filing.py` (or `make bench`). It creates a
scratch database, serves the app with gunicorn on a loopback port, files incidents
from one sequential client and from 4 concurrent clients, with and without an
Idempotency-Key, and prints requests per second, p50 and p95. The audit writes and
the Celery enqueue (to Redis) are part of every request.
"""

from __future__ import annotations

import http.client
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB_NAME = os.environ.get("BENCH_FILING_DB", "cordon_bench_filing")
BROKER = os.environ.get("BENCH_BROKER", "redis://127.0.0.1:6379/13")
PORT = int(os.environ.get("BENCH_PORT", "8799"))
SEQUENTIAL = int(os.environ.get("BENCH_REQUESTS", "500"))
CONCURRENT_CLIENTS = 4


def _env() -> dict:
    return {
        **os.environ,
        "DATABASE_URL": f"{PG}/{DB_NAME}",
        "CELERY_BROKER_URL": BROKER,
        "API_THROTTLE_USER_RATE": "1000000/hour",
        "LOG_LEVEL": "WARNING",
    }


def _manage(*args: str, stdin: str | None = None) -> str:
    result = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=_env(),
        input=stdin,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def _prepare() -> str:
    common.recreate_database(DB_NAME)
    _manage("migrate", "--noinput", "-v0")
    _manage("create_member", "bench-lead", "--role", "lead", "--email", "lead@example.org")
    _manage("create_member", "bench-bot", "--role", "reporter")
    return (
        _manage(
            "issue_api_token",
            "bench-bot",
            "--scope",
            "incidents:write",
            "--scope",
            "incidents:read",
        )
        .strip()
        .splitlines()[-1]
    )


def _file(conn: http.client.HTTPConnection, token: str, idempotent: bool) -> float:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    if idempotent:
        headers["Idempotency-Key"] = uuid.uuid4().hex
    body = json.dumps({"title": "Benchmark incident", "severity": "high"})
    started = time.perf_counter()
    conn.request("POST", "/api/v1/incidents/", body=body, headers=headers)
    response = conn.getresponse()
    response.read()
    elapsed = time.perf_counter() - started
    if response.status != 201:
        raise RuntimeError(f"unexpected {response.status}")
    return elapsed


def _client(token: str, count: int, idempotent: bool) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    try:
        return [_file(conn, token, idempotent) for _ in range(count)]
    finally:
        conn.close()


def _report(name: str, latencies: list[float], wall: float) -> dict:
    ordered = sorted(latencies)
    figures = {
        "requests": len(ordered),
        "per_second": round(len(ordered) / wall, 1),
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1] * 1000, 1),
    }
    print(f"{name:<42} {figures}")
    return figures


def main() -> None:
    token = _prepare()
    with common.Gunicorn(DB_NAME, PORT, DJANGO_SETTINGS_MODULE="config.settings") as server:
        _client(token, 20, False)  # warm-up
        results = {}
        for idempotent in (False, True):
            suffix = " with Idempotency-Key" if idempotent else ""
            load, cpu_before = common.load_average(), server.cpu_seconds()
            started = time.perf_counter()
            latencies = _client(token, SEQUENTIAL, idempotent)
            results[f"sequential{suffix}"] = _report(
                f"1 client, sequential{suffix}", latencies, time.perf_counter() - started
            )
            results[f"sequential{suffix}"].update(
                server_cpu_ms_per_request=round(
                    (server.cpu_seconds() - cpu_before) * 1000 / SEQUENTIAL, 1
                ),
                load_average=load,
            )
            per_client = SEQUENTIAL // CONCURRENT_CLIENTS
            started = time.perf_counter()
            with ThreadPoolExecutor(CONCURRENT_CLIENTS) as pool:
                batches = list(
                    pool.map(
                        lambda _, n=per_client, i=idempotent: _client(token, n, i),
                        range(CONCURRENT_CLIENTS),
                    )
                )
            results[f"concurrent{suffix}"] = _report(
                f"{CONCURRENT_CLIENTS} clients{suffix}",
                [x for batch in batches for x in batch],
                time.perf_counter() - started,
            )
        print(json.dumps({"api_filing": results}))
        common.save("api_filing", results, db_name=DB_NAME)
    if os.environ.get("BENCH_KEEP_DB") != "1":
        common.drop_database(DB_NAME)


if __name__ == "__main__":
    main()
