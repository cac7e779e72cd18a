"""Benchmark: the audit hash chain (issue 9).

    .venv/bin/python bench/audit_chain.py        (or `make bench`)

On a scratch PostgreSQL database:
  1. append rate: 1 writer, then 4 concurrent writer processes, each calling
     audit.record in its own transaction (the chain lock serialises them);
  2. the chain is seeded to 100,000 events with COPY, every hash computed by the same
     canonical function the application uses (audit.chain.event_hash), a checkpoint is
     set at its head as the periodic verification leaves one, 1,000 more events are
     appended through audit.record, and the incremental verification
     (audit.services.verify_chain_incrementally, what the beat task runs) is timed;
  3. the same at 1,000,000 events;
  4. `manage.py verify_audit_chain` (the full walk) is timed on the 1,000,000 events
     in its own process: it must say OK, so the seeded chain really verifies.
Targets: full verification of 1M events under 30 s; the incremental verification of
the last 1,000 events about as fast at 1M as at 100k.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

DB_NAME = "cordon_bench_audit"
WRITERS = 4
PER_WRITER = int(os.environ.get("BENCH_APPENDS_PER_WRITER", "250"))
SMALL, LARGE = 100_000, int(os.environ.get("BENCH_AUDIT_EVENTS", "1000000"))
TAIL = 1000
COPY_BATCH = 50_000
FULL_VERIFY_TARGET_S = 30.0


def _setup_django() -> None:
    os.environ.update(common.env(DB_NAME))
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    import django

    django.setup()


def _writer(barrier, count: int, results) -> None:
    _setup_django()
    from django.db import transaction

    import audit

    barrier.wait()
    started = time.perf_counter()
    for n in range(count):
        with transaction.atomic():
            audit.record("bench.append", data={"n": n, "pid": os.getpid()})
    results.put(time.perf_counter() - started)


def append_rate(writers: int, per_writer: int) -> dict:
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(writers + 1), context.Queue()
    processes = [
        context.Process(target=_writer, args=(barrier, per_writer, results)) for _ in range(writers)
    ]
    for process in processes:
        process.start()
    barrier.wait()
    load = common.load_average()
    started = time.perf_counter()
    for process in processes:
        process.join()
    wall = time.perf_counter() - started
    if any(process.exitcode for process in processes):
        raise RuntimeError("a writer failed")
    total = writers * per_writer
    return {
        "writers": writers,
        "events": total,
        "per_second": round(total / wall, 1),
        "load_average": load,
    }


def _copy_text(value) -> str:
    if value is None:
        return r"\N"
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def seed_events(until: int) -> None:
    """Append generated events with COPY until the log holds `until`, each hashed and
    linked exactly as audit.record would have done."""
    import json

    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction

    from audit.chain import HASHED_FIELDS, event_hash, normalise
    from audit.models import GENESIS_HASH, AuditEvent
    from incidents.models import Incident

    have = AuditEvent.objects.count()
    head = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
    prev_hash = head or GENESIS_HASH
    actor = int(common.psql(DB_NAME, "SELECT id FROM accounts_user ORDER BY id LIMIT 1"))
    target_type = ContentType.objects.get_for_model(Incident).pk
    start = datetime.now(UTC) - timedelta(milliseconds=until - have)
    table = AuditEvent._meta.db_table
    columns = (*HASHED_FIELDS, "hash")  # what the chain covers, and the hash itself
    for batch_start in range(have, until, COPY_BATCH):
        buffer = io.StringIO()
        for n in range(batch_start, min(until, batch_start + COPY_BATCH)):
            values = {
                "created_at": start + timedelta(milliseconds=n - have),
                "action": "incident.updated",
                "outcome": "success",
                "actor_id": actor,
                "actor_label": "bench-lead",
                "target_type_id": target_type,
                "target_id": str(n % 100_000 + 1),
                "target_label": f"INC-2020-{n % 100_000 + 1:07d} Bench incident",
                "data": normalise({"changes": {"status": ["triage", "containment"]}, "n": n}),
                "request_id": f"{n:032x}",
                "ip": f"192.0.2.{n % 250 + 1}",
                "user_agent": "cordon-bench/1.0",
                "prev_hash": prev_hash,
            }
            values["hash"] = prev_hash = event_hash(values)
            row = dict(values, created_at=values["created_at"].isoformat())
            row["data"] = json.dumps(values["data"], ensure_ascii=False)
            buffer.write("\t".join(_copy_text(row[name]) for name in columns) + "\n")
        buffer.seek(0)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)
    common.psql(DB_NAME, f"VACUUM ANALYZE {table}")


def checkpoint_at_head() -> None:
    """As the periodic verification leaves it after walking the chain so far."""
    from audit.models import AuditCheckpoint, AuditEvent

    last_id, last_hash = AuditEvent.objects.order_by("-id").values_list("id", "hash").first()
    AuditCheckpoint.objects.create(
        ok=True,
        verified_through_id=last_id,
        verified_through_hash=last_hash,
        events_checked=AuditEvent.objects.count(),
    )


def incremental_tail() -> dict:
    """Append TAIL events through audit.record, then time the incremental verification."""
    from django.db import transaction

    import audit
    from audit.services import verify_chain_incrementally

    for n in range(TAIL):
        with transaction.atomic():
            audit.record("bench.tail", data={"n": n})
    timings = []
    report = None
    for _ in range(5):
        # Each run leaves a checkpoint at the head; drop it so the next walks the tail again.
        started = time.perf_counter()
        report, checkpoint = verify_chain_incrementally()
        timings.append(time.perf_counter() - started)
        if not report.ok or report.checked != TAIL:
            raise RuntimeError(f"incremental verification: {report}")
        checkpoint.delete()
    return {"events_checked": report.checked, "best_ms": round(min(timings) * 1000, 1)}


def full_verify() -> dict:
    """Wall time, and the command's own CPU time: on a shared machine the wall time
    also holds the time the process waited for a core."""
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "manage.py", "verify_audit_chain"],
        cwd=common.ROOT,
        env=common.env(DB_NAME),
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise RuntimeError(f"verify_audit_chain failed: {result.stdout} {result.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "output": result.stdout.strip(),
        "seconds": round(seconds, 1),
        "cpu_seconds": round(cpu, 1),
        "load_average_before": round(load, 1),
    }


def main() -> None:
    common.recreate_database(DB_NAME)
    common.manage(DB_NAME, "migrate", "--noinput", "-v0")
    common.manage(DB_NAME, "create_member", "bench-lead", "--role", "lead")
    _setup_django()
    from audit.models import AuditEvent

    results = {
        "append, 1 writer": append_rate(1, PER_WRITER),
        f"append, {WRITERS} writers": append_rate(WRITERS, PER_WRITER),
    }
    for name in list(results):
        print(f"{name:<24} {results[name]}")

    for size in (SMALL, LARGE):
        started = time.perf_counter()
        seed_events(size - TAIL)
        print(f"seeded to {size - TAIL} events in {time.perf_counter() - started:.1f} s")
        checkpoint_at_head()
        figures = incremental_tail()
        figures["events_in_log"] = AuditEvent.objects.count()
        results[f"incremental verify of last {TAIL} at {size}"] = figures
        print(f"incremental verify, last {TAIL} of {figures['events_in_log']}: {figures}")

    figures = full_verify()
    results[f"full verify_audit_chain at {LARGE}"] = figures
    print(f"manage.py verify_audit_chain: {figures}")
    misses = []
    if figures["seconds"] > FULL_VERIFY_TARGET_S:
        misses.append(f"full verify {figures['seconds']} s > {FULL_VERIFY_TARGET_S} s")
    results["misses"] = misses
    from django.db import connections

    connections.close_all()
    common.save("audit_chain", results, db_name=DB_NAME)
    if os.environ.get("BENCH_KEEP_DB") != "1":
        common.drop_database(DB_NAME)
    print("OK" if not misses else "MISSED: " + "; ".join(misses))


if __name__ == "__main__":
    main()
