"""Benchmark: the incident list API over 100,000 incidents (issue 9).

    .venv/bin/python bench/api_list.py        (or `make bench`)

A scratch PostgreSQL database gets 100,000 incidents (each with crew, two affected
systems and three timeline entries; 10% restricted) seeded server-side. gunicorn with
2 workers serves the app with the benchmark settings (bench/settings.py), whose
middleware answers each request's SQL statement count in `X-Query-Count`. For a lead
and for a non-lead responder (need-to-know filter: EXISTS on the crew), 100 sequential
requests each of page 1 and of a deep page (a cursor 5,000 incidents from the oldest,
as after following `next` links ~1,900 times) give p50 and p95; the query count is
taken for page sizes 20, 50, 200 and 500 (capped at 200). `queries` maps each count
seen to how many requests ran it: a token's first request in a minute also writes its
last use (three statements more). Targets: p95 <= 100 ms for
page 1, <= 150 ms for the deep page, at most 6 queries, the same for every page size.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common, seed

DB_NAME = "cordon_bench_list"
PORT = int(os.environ.get("BENCH_PORT", "8798"))
INCIDENTS = int(os.environ.get("BENCH_INCIDENTS", "100000"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "100"))
DEEP_FROM_OLDEST = 5000
PAGE_SIZES = (20, 50, 200, 500)
MAX_QUERIES = 6
TARGET_P95_MS = {"page 1": 100.0, "deep page": 150.0}


def cursor_at(position: int) -> str:
    """The `cursor` DRF's CursorPagination hands out for the page after `position`."""
    return base64.b64encode(urlencode({"p": position}).encode()).decode()


def get(conn, token: str, params: dict) -> tuple[float, dict, int]:
    path = "/api/v1/incidents/?" + urlencode(params)
    started = time.perf_counter()
    conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
    response = conn.getresponse()
    body = response.read()
    elapsed = time.perf_counter() - started
    if response.status != 200:
        raise RuntimeError(f"GET {path}: {response.status} {body[:200]!r}")
    return elapsed, json.loads(body), int(response.getheader("X-Query-Count"))


def measure(server, conn, token: str, params: dict) -> dict:
    for _ in range(10):  # warm-up
        get(conn, token, params)
    load = common.load_average()
    cpu_before = server.cpu_seconds()
    latencies, queries = [], Counter()
    for _ in range(REQUESTS):
        elapsed, _, count = get(conn, token, params)
        latencies.append(elapsed)
        queries[count] += 1
    return {
        **common.percentiles(latencies),
        "server_cpu_ms_per_request": round(
            (server.cpu_seconds() - cpu_before) * 1000 / REQUESTS, 1
        ),
        "load_average": load,
        "queries": dict(sorted(queries.items())),
    }


def prepare() -> dict:
    common.recreate_database(DB_NAME)
    common.manage(DB_NAME, "migrate", "--noinput", "-v0")
    for username, role in (
        ("bench-lead", "lead"),
        ("bench-responder", "responder"),
        ("bench-reporter", "reporter"),
    ):
        common.manage(DB_NAME, "create_member", username, "--role", role)
    started = time.perf_counter()
    seed.seed_incidents(
        DB_NAME,
        count=INCIDENTS,
        reporter=seed.user_id(DB_NAME, "bench-reporter"),
        lead=seed.user_id(DB_NAME, "bench-lead"),
        responder=seed.user_id(DB_NAME, "bench-responder"),
        responder_every=20,
    )
    print(f"seeded {INCIDENTS} incidents in {time.perf_counter() - started:.1f} s")
    return {
        who: common.issue_token(DB_NAME, f"bench-{who}", "incidents:read")
        for who in ("lead", "responder")
    }


def main() -> None:
    tokens = prepare()
    oldest = int(common.psql(DB_NAME, "SELECT min(id) FROM incidents_incident"))
    deep = cursor_at(oldest + DEEP_FROM_OLDEST)
    results, misses = {}, []
    with common.Gunicorn(DB_NAME, PORT, DJANGO_SETTINGS_MODULE="bench.settings") as server:
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        for who, token in tokens.items():
            # The deep cursor must land where it says: ids below its position, a full page.
            _, page, _ = get(conn, token, {"cursor": deep})
            assert len(page["results"]) == 50, len(page["results"])
            assert all(row["id"] < oldest + DEEP_FROM_OLDEST for row in page["results"])
            for page_name, params in (("page 1", {}), ("deep page", {"cursor": deep})):
                figures = measure(server, conn, token, {**params, "page_size": 50})
                name = f"{who}, {page_name} of 50"
                results[name] = figures
                print(f"{name:<28} {figures}")
                if figures["p95_ms"] > TARGET_P95_MS[page_name]:
                    misses.append(f"{name}: p95 {figures['p95_ms']} ms")
            # A token's first use in a minute also records its use (accounts/authentication.py:
            # last_used_at and one audit event); the fewest seen per size is the steady state.
            by_size = {}
            for size in PAGE_SIZES:
                for params in ({}, {"cursor": deep}, {}, {"cursor": deep}):
                    _, page, count = get(conn, token, {**params, "page_size": size})
                    assert len(page["results"]) == min(size, 200), (size, len(page["results"]))
                    by_size.setdefault(str(size), []).append(count)
            steady = {size: min(counts) for size, counts in by_size.items()}
            results[f"{who}, queries by page size"] = steady
            print(f"{who}, queries per request by page size: {steady}")
            if len(set(steady.values())) != 1 or max(steady.values()) > MAX_QUERIES:
                misses.append(f"{who}: queries {steady}")
        conn.close()
    results["incidents"] = INCIDENTS
    results["misses"] = misses
    common.save("api_list", results, db_name=DB_NAME)
    if os.environ.get("BENCH_KEEP_DB") != "1":
        common.drop_database(DB_NAME)
    print("OK" if not misses else "MISSED: " + "; ".join(misses))


if __name__ == "__main__":
    main()
