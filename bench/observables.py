"""Benchmark: observables at scale (issue 18).

    .venv/bin/python bench/observables.py        (or `make bench-observables`)

A scratch PostgreSQL database gets 100,000 incidents (bench/seed.py: crew, systems,
timeline; 10% restricted) and 1,000,000 observables, ten per incident, seeded
server-side: 200,000 distinct values (six domains and four IPv4 addresses per incident),
so each value sits on five incidents on average, their digests computed by PostgreSQL
exactly as observables.values.value_digest does. gunicorn with 2 workers serves the app
with the benchmark settings (statements per request in `X-Query-Count`).

Measured, each over sequential requests, for a lead (sees everything) and a responder
(need-to-know: open incidents and the restricted ones they crew):
- bulk creation: POST of 1,000 new observables to one incident (target p95 <= 300 ms),
  and the statements of a POST of 10 and of 1,000 (the same);
- correlation of one observable: GET of one observable with `related`, the other
  visible incidents holding its value (target p95 <= 50 ms);
- look-up of a value across every visible incident, given defanged (p95 <= 50 ms).
"""

from __future__ import annotations

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

DB_NAME = "cordon_bench_observables"
PORT = int(os.environ.get("BENCH_PORT", "8797"))
INCIDENTS = int(os.environ.get("BENCH_INCIDENTS", "100000"))
PER_INCIDENT = 10
DISTINCT_VALUES = INCIDENTS * PER_INCIDENT // 5
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "100"))
BULK_REQUESTS = int(os.environ.get("BENCH_BULK_REQUESTS", "30"))
TARGET_P95_MS = {"bulk": 300.0, "correlation": 50.0, "lookup": 50.0}

# Value n = (7 x incident + 13 x s) mod DISTINCT_VALUES for s = 0..9: ten distinct values
# per incident, each value on about five incidents of every residue (restricted ones too).
SEED_OBSERVABLES = """
INSERT INTO observables_observable (
    incident_id, type, value, normalized_value, value_digest, tlp, pap, is_ioc, sighted,
    sighted_at, ignore_for_correlation, tags, description, source, first_seen, last_seen,
    evidence_id, created_by_id, created_at, updated_at)
SELECT id, type, value, value, encode(sha256(convert_to(value, 'UTF8')), 'hex'), 'amber',
       'amber', n % 3 = 0, false, NULL, false, '[]'::jsonb, '', 'imported', created_at,
       created_at, NULL, {lead}, created_at, created_at
FROM (
    SELECT id, created_at, n,
           CASE WHEN s < 6 THEN 'domain' ELSE 'ipv4' END AS type,
           CASE WHEN s < 6 THEN 'h' || n || '.evil.example'
                ELSE '10.' || (n / 65536) || '.' || (n / 256 % 256) || '.' || (n % 256)
           END AS value
    FROM (
        SELECT i.id, i.created_at, s, (i.id::bigint * 7 + s * 13) % {distinct} AS n
        FROM incidents_incident i CROSS JOIN generate_series(0, {per} - 1) AS s
    ) AS numbered
) AS rows;
"""


def request(conn, token: str, method: str, path: str, body=None) -> tuple[float, object, int]:
    headers = {"Authorization": f"Bearer {token}"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    started = time.perf_counter()
    conn.request(method, path, body=data, headers=headers)
    response = conn.getresponse()
    payload = response.read()
    elapsed = time.perf_counter() - started
    if response.status not in (200, 201):
        raise RuntimeError(f"{method} {path}: {response.status} {payload[:300]!r}")
    return elapsed, json.loads(payload), int(response.getheader("X-Query-Count"))


def measure(server, run, count: int) -> dict:
    for _ in range(min(10, count)):  # warm-up
        run()
    load = common.load_average()
    cpu_before = server.cpu_seconds()
    latencies, queries = [], Counter()
    for _ in range(count):
        elapsed, _, statements = run()
        latencies.append(elapsed)
        queries[statements] += 1
    return {
        **common.percentiles(latencies),
        "server_cpu_ms_per_request": round((server.cpu_seconds() - cpu_before) * 1000 / count, 1),
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
    common.psql(
        DB_NAME,
        SEED_OBSERVABLES.format(lead=lead, per=PER_INCIDENT, distinct=DISTINCT_VALUES),
    )
    common.psql(DB_NAME, "VACUUM ANALYZE")
    total = int(common.psql(DB_NAME, "SELECT count(*) FROM observables_observable"))
    took = time.perf_counter() - started
    print(f"seeded {INCIDENTS} incidents, {total} observables in {took:.1f} s")
    scopes = ("incidents:read", "observables:read", "observables:write")
    return {
        who: common.issue_token(DB_NAME, f"bench-{who}", *scopes) for who in ("lead", "responder")
    }


def _an_open_observable() -> tuple[int, int, str]:
    """An observable of an open (unrestricted) incident whose value is on other
    incidents, restricted ones among them."""
    row = common.psql(
        DB_NAME,
        "SELECT o.incident_id, o.id, o.normalized_value FROM observables_observable o "
        "JOIN incidents_incident i ON i.id = o.incident_id "
        "WHERE NOT i.restricted AND o.type = 'domain' AND EXISTS ("
        "  SELECT 1 FROM observables_observable x JOIN incidents_incident j ON j.id = x.incident_id"
        "  WHERE x.type = o.type AND x.value_digest = o.value_digest AND j.restricted)"
        " AND o.incident_id > (SELECT max(id) - 1000 FROM incidents_incident)"
        " ORDER BY o.id DESC LIMIT 1",
    )
    incident_id, observable_id, value = row.split("|")
    return int(incident_id), int(observable_id), value


def main() -> None:
    tokens = prepare()
    incident_id, observable_id, value = _an_open_observable()
    defanged = value.replace(".", "[.]")
    results, misses = {}, []
    with common.Gunicorn(DB_NAME, PORT, DJANGO_SETTINGS_MODULE="bench.settings") as server:
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)

        batch = iter(range(10**6))

        def bulk(size=1000, token=tokens["lead"]):
            number = next(batch)
            items = [
                {"type": "domain", "value": f"bulk{number}-{n}.evil.example"} for n in range(size)
            ]
            return request(
                conn, token, "POST", f"/api/v1/incidents/{incident_id}/observables/", items
            )

        figures = measure(server, bulk, BULK_REQUESTS)
        results["bulk create of 1,000, lead"] = figures
        print(f"bulk create of 1,000      {figures}")
        if figures["p95_ms"] > TARGET_P95_MS["bulk"]:
            misses.append(f"bulk create: p95 {figures['p95_ms']} ms")
        statements = {str(size): min(bulk(size)[2] for _ in range(3)) for size in (10, 1000)}
        results["bulk create, statements by size"] = statements
        print(f"bulk create, statements by size: {statements}")
        if len(set(statements.values())) != 1:
            misses.append(f"bulk statements {statements}")

        for who, token in tokens.items():
            path = f"/api/v1/incidents/{incident_id}/observables/{observable_id}/"
            _, body, _ = request(conn, token, "GET", path)
            figures = measure(server, lambda t=token, p=path: request(conn, t, "GET", p), REQUESTS)
            figures["related_count"] = body["related_count"]
            results[f"correlation of one observable, {who}"] = figures
            print(f"correlation, {who:<10}     {figures}")
            if figures["p95_ms"] > TARGET_P95_MS["correlation"]:
                misses.append(f"correlation {who}: p95 {figures['p95_ms']} ms")

            lookup = "/api/v1/observables/?" + urlencode({"value": defanged})
            _, body, _ = request(conn, token, "GET", lookup)
            figures = measure(
                server, lambda t=token, p=lookup: request(conn, t, "GET", p), REQUESTS
            )
            figures["hits"] = len(body["results"])
            results[f"look-up of a value, {who}"] = figures
            print(f"look-up, {who:<10}         {figures}")
            if figures["p95_ms"] > TARGET_P95_MS["lookup"]:
                misses.append(f"look-up {who}: p95 {figures['p95_ms']} ms")
        conn.close()
    results["incidents"] = INCIDENTS
    results["observables"] = INCIDENTS * PER_INCIDENT
    results["misses"] = misses
    common.save("observables", results, db_name=DB_NAME)
    if os.environ.get("BENCH_KEEP_DB") != "1":
        common.drop_database(DB_NAME)
    print("OK" if not misses else "MISSED: " + "; ".join(misses))


if __name__ == "__main__":
    main()
