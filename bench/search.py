"""Benchmark: search across everything (issue 20).

    .venv/bin/python bench/search.py        (or `make bench-search`)

A scratch PostgreSQL database (BENCH_SEARCH_DB, default cordon_bench_search) gets
BENCH_INCIDENTS incidents (default 100,000: the issue's scale, seeded and indexed in
about two minutes on 2 cores) (bench/seed.py: crew, systems, three timeline entries each;
10% restricted), seven more timeline entries per incident (words, an IPv4 address, and
in one entry in a thousand a SHA-256), and ten observables per incident (as
bench/observables.py seeds them), all server-side; the search indexes (dashboard
migration 0001) are built after the seeding, as a deploy on existing data builds them.
gunicorn with 2 workers serves the app.

Measured over sequential `GET /api/v1/search/?q=` requests, for a lead (sees
everything) and a responder (need-to-know), visibility included: a word query, an exact
address (in observables and timeline notes), an exact SHA-256 (in one timeline note).
The issue's targets, at 100,000 incidents, 1,000,000 timeline entries and 1,000,000
observables: p95 <= 200 ms for words, <= 100 ms for an exact hash or address.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common, seed
from bench.observables import SEED_OBSERVABLES

DB_NAME = os.environ.get("BENCH_SEARCH_DB", "cordon_bench_search")
PORT = int(os.environ.get("BENCH_PORT", "8798"))
INCIDENTS = int(os.environ.get("BENCH_INCIDENTS", "100000"))
OBSERVABLES_PER_INCIDENT = 10
EXTRA_TIMELINE_PER_INCIDENT = 7
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "60"))
TARGET_P95_MS = {"word": 200.0, "exact": 100.0}

SEED_TIMELINE = """
INSERT INTO incidents_timelineentry (incident_id, kind, body, occurred_at, author_id, created_at)
SELECT i.id, 'note',
       CASE WHEN t = 1 THEN 'Blocked 172.16.' || (i.id / 256 % 256) || '.' || (i.id % 256)
                            || ' at the firewall'
            WHEN t = 2 AND i.id % 1000 = 0 THEN 'Dropper hash '
                            || encode(sha256(convert_to('dropper-' || i.id, 'UTF8')), 'hex')
            ELSE 'Analyst note ' || t || ' on host-' || (i.id % 500)
                 || (ARRAY[': lateral movement suspected', ': password spraying observed',
                           ': beacon to a known C2', ': nothing unusual'])[1 + (i.id + t) % 4]
       END,
       i.created_at, {lead}, i.created_at
FROM incidents_incident i CROSS JOIN generate_series(1, {per}) AS t;
"""


def request(conn, token: str, query: str) -> tuple[float, dict]:
    started = time.perf_counter()
    conn.request(
        "GET",
        "/api/v1/search/?" + urlencode({"q": query}),
        headers={"Authorization": f"Bearer {token}"},
    )
    response = conn.getresponse()
    payload = response.read()
    elapsed = time.perf_counter() - started
    if response.status != 200:
        raise RuntimeError(f"search {query!r}: {response.status} {payload[:300]!r}")
    return elapsed, json.loads(payload)


def prepare() -> dict:
    common.recreate_database(DB_NAME)
    common.manage(DB_NAME, "migrate", "--noinput", "-v0")
    common.manage(DB_NAME, "migrate", "dashboard", "zero", "--noinput", "-v0")  # indexes later
    for username, role in (
        ("bench-lead", "lead"),
        ("bench-responder", "responder"),
        ("bench-reporter", "reporter"),
    ):
        common.manage(DB_NAME, "create_member", username, "--role", role)
    lead = seed.user_id(DB_NAME, "bench-lead")
    started = time.perf_counter()
    seed.seed_incidents(
        DB_NAME,
        count=INCIDENTS,
        reporter=seed.user_id(DB_NAME, "bench-reporter"),
        lead=lead,
        responder=seed.user_id(DB_NAME, "bench-responder"),
        responder_every=20,
    )
    common.psql(DB_NAME, SEED_TIMELINE.format(lead=lead, per=EXTRA_TIMELINE_PER_INCIDENT))
    common.psql(
        DB_NAME,
        SEED_OBSERVABLES.format(
            lead=lead,
            per=OBSERVABLES_PER_INCIDENT,
            distinct=INCIDENTS * OBSERVABLES_PER_INCIDENT // 5,
        ),
    )
    seeded = time.perf_counter()
    common.manage(DB_NAME, "migrate", "dashboard", "--noinput", "-v0")
    common.psql(DB_NAME, "VACUUM ANALYZE")
    counts = {
        table: int(common.psql(DB_NAME, f"SELECT count(*) FROM {table}"))  # noqa: S608 - ours
        for table in ("incidents_incident", "incidents_timelineentry", "observables_observable")
    }
    print(
        f"seeded {counts} in {seeded - started:.1f} s, "
        f"search indexes built in {time.perf_counter() - seeded:.1f} s"
    )
    scopes = ("search:read",)
    tokens = {
        who: common.issue_token(DB_NAME, f"bench-{who}", *scopes) for who in ("lead", "responder")
    }
    return {"tokens": tokens, "counts": counts}


def main() -> None:
    prepared = prepare()
    newest = INCIDENTS - INCIDENTS % 1000 or 1000
    queries = {
        "word": ("lateral movement", "word"),
        "exact address": (f"172.16.{newest // 256 % 256}.{newest % 256}", "exact"),
        "exact sha256": (hashlib.sha256(f"dropper-{newest}".encode()).hexdigest(), "exact"),
    }
    results: dict = {"scale": prepared["counts"]}
    misses = []
    with common.Gunicorn(
        DB_NAME, PORT, DJANGO_SETTINGS_MODULE="bench.settings", CELERY_BROKER_URL=common.BROKER
    ):
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
        for who, token in prepared["tokens"].items():
            for name, (query, target) in queries.items():
                _, body = request(conn, token, query)
                for _ in range(5):  # warm-up
                    request(conn, token, query)
                load = common.load_average()
                latencies = [request(conn, token, query)[0] for _ in range(REQUESTS)]
                figures = {
                    **common.percentiles(latencies),
                    "load_average": load,
                    "incidents_found": len(body["results"]),
                }
                results[f"{name}, {who}"] = figures
                print(f"{name:<14} {who:<10} {figures}")
                if figures["p95_ms"] > TARGET_P95_MS[target]:
                    misses.append(f"{name} {who}: p95 {figures['p95_ms']} ms")
    results["targets_p95_ms"] = TARGET_P95_MS
    results["missed"] = misses
    common.save("search", results, db_name=DB_NAME)
    if os.environ.get("BENCH_KEEP") != "1" and DB_NAME.startswith("cordon_bench"):
        common.drop_database(DB_NAME)


if __name__ == "__main__":
    main()
