"""Benchmark: the audit log as a transparency log (issues 9 and 17).

    .venv/bin/python bench/audit_chain.py        (or `make bench-audit`)

On a scratch PostgreSQL database (BENCH_AUDIT_DB, default cordon_bench_audit):
  1. append rate: 1 writer, then 4 writer processes, each event audit.record in its own
     transaction (no lock any more): standalone (autocommit, one INSERT), then inside
     transaction.atomic() as a service writes (BEGIN, INSERT, COMMIT), while a sequencer
     process beside them runs every half second (twice a deployment's cadence); the
     merge delay (event to position) of everything they appended;
  2. sequencer rate: events appended without positions, then sequenced in one run;
  3. the log is seeded to 100,000 and then 1,000,000 events with COPY (every hash,
     leaf and tree node computed by the application's own functions), a checkpoint is
     signed; at each size the incremental verification of the last 1,000 events is
     timed, and at 1,000,000 inclusion and consistency proofs (p50/p95 of 200 each);
  4. `manage.py verify_audit_chain` (the full walk, with the Merkle root against the
     signed checkpoints) on the 1,000,000 events in its own process.
Targets: append >= 3,000 events/s with 4 writers; sequencer >= 20,000 events/s; merge
delay p99 under 2 s; proofs p95 <= 50 ms at 1M; full verification of 1M under 20 s.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import random
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

DB_NAME = os.environ.get("BENCH_AUDIT_DB", "cordon_bench_audit")
WRITERS = 4
PER_WRITER = int(os.environ.get("BENCH_APPENDS_PER_WRITER", "2000"))
SEQUENCER_EVENTS = int(os.environ.get("BENCH_SEQUENCER_EVENTS", "100000"))
SEQUENCER_EVERY_S = 0.5
PROOFS = 200
SMALL, LARGE = 100_000, int(os.environ.get("BENCH_AUDIT_EVENTS", "1000000"))
TAIL = 1000
COPY_BATCH = 50_000
FULL_VERIFY_TARGET_S = 20.0
APPEND_TARGET = 3000
SEQUENCER_TARGET = 20000
MERGE_DELAY_P99_TARGET_S = 2.0
PROOF_P95_TARGET_MS = 50.0


def _setup_django() -> None:
    os.environ.update(common.env(DB_NAME))
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    import gc

    import django

    django.setup()
    # As the web workers (config/wsgi.py) and Celery workers (config/celery.py) do
    # once started: the collector leaves what start-up loaded alone.
    gc.freeze()


def _writer(barrier, count: int, results, in_transaction: bool) -> None:
    """`count` events, each its own transaction: a standalone one (a sign-in, a refusal:
    one INSERT in autocommit) or, `in_transaction`, inside transaction.atomic() as a
    service's write is (BEGIN, INSERT, COMMIT)."""
    _setup_django()
    from contextlib import nullcontext

    from django.db import transaction

    import audit

    barrier.wait()
    started = time.perf_counter()
    for n in range(count):
        with transaction.atomic() if in_transaction else nullcontext():
            audit.record("bench.append", data={"n": n, "pid": os.getpid()})
    results.put(time.perf_counter() - started)


def _sequencer(stop) -> None:
    """Sequence every SEQUENCER_EVERY_S until told to stop, then once more: twice as
    often as a deployment does (beat every second, and the nudges after commits, at
    most one a second)."""
    _setup_django()
    from audit.sequencer import sequence_pending

    while not stop.wait(SEQUENCER_EVERY_S):
        sequence_pending()
    sequence_pending()


def append_rate(writers: int, per_writer: int, *, in_transaction: bool = False) -> dict:
    context = multiprocessing.get_context("spawn")
    barrier, results, stop = context.Barrier(writers + 1), context.Queue(), context.Event()
    processes = [
        context.Process(target=_writer, args=(barrier, per_writer, results, in_transaction))
        for _ in range(writers)
    ]
    sequencer = context.Process(target=_sequencer, args=(stop,))
    sequencer.start()
    for process in processes:
        process.start()
    barrier.wait()
    load = common.load_average()
    started = time.perf_counter()
    for process in processes:
        process.join()
    wall = time.perf_counter() - started
    stop.set()
    sequencer.join()
    if any(process.exitcode for process in processes) or sequencer.exitcode:
        raise RuntimeError("a writer or the sequencer failed")
    total = writers * per_writer
    return {
        "writers": writers,
        "events": total,
        "per_second": round(total / wall, 1),
        "load_average": load,
        **_merge_delay(total),
    }


def _merge_delay(count: int) -> dict:
    from audit.sequencer import merge_delay

    delay = merge_delay(sample=count)
    return {
        "merge_delay_p50_s": round(delay.p50_seconds or 0, 3),
        "merge_delay_p99_s": round(delay.p99_seconds or 0, 3),
        "merge_delay_max_s": round(delay.max_seconds or 0, 3),
        "left_waiting": delay.waiting,
    }


def sequencer_rate(count: int) -> dict:
    """Append `count` events without positions (COPY, leaf hashes as audit.record makes
    them), then time one sequencer run over them."""
    from audit.sequencer import sequence_pending

    _copy_events(count, sequenced=False)
    started = time.perf_counter()
    done = sequence_pending()
    seconds = time.perf_counter() - started
    if done != count:
        raise RuntimeError(f"sequenced {done} of {count}")
    return {"events": count, "seconds": round(seconds, 2), "per_second": round(count / seconds)}


def _copy_text(value) -> str:
    if value is None:
        return r"\N"
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def _copy_events(count: int, *, sequenced: bool) -> None:
    """COPY `count` generated events onto the log: sequenced (positions, links, leaves
    and tree nodes, exactly as the sequencer makes them) or only appended (leaves)."""
    import json

    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction

    from audit.chain import HASHED_FIELDS, LEAF_FIELDS, leaf_hash, normalise, sealed_hashes
    from audit.models import AuditEvent, AuditTreeNode
    from audit.sequencer import nodes_to_store, tail
    from incidents.models import Incident

    log = tail()
    prev_hash, frontier, position = log.last_hash, log.frontier, log.size
    actor = int(common.psql(DB_NAME, "SELECT id FROM accounts_user ORDER BY id LIMIT 1"))
    target_type = ContentType.objects.get_for_model(Incident).pk
    start = datetime.now(UTC) - timedelta(milliseconds=count)
    table = AuditEvent._meta.db_table
    columns = [*HASHED_FIELDS, "leaf_hash"]
    if sequenced:
        columns += ["hash", "position", "sequenced_at"]
    else:
        columns += ["hash"]
    for batch_start in range(0, count, COPY_BATCH):
        buffer, nodes = io.StringIO(), io.StringIO()
        for n in range(batch_start, min(count, batch_start + COPY_BATCH)):
            values = {
                "created_at": start + timedelta(milliseconds=n),
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
            }
            row = dict(values, created_at=values["created_at"].isoformat())
            row["data"] = json.dumps(values["data"], ensure_ascii=False)
            if sequenced:
                leaf, chained = sealed_hashes(values, prev_hash)
                row.update(
                    prev_hash=prev_hash,
                    leaf_hash=leaf,
                    hash=chained,
                    position=position,
                    sequenced_at=row["created_at"],
                )
                for level, index, digest in nodes_to_store(frontier.append(bytes.fromhex(leaf))):
                    nodes.write(f"{level}\t{index}\t\\\\x{digest.hex()}\n")
                prev_hash, position = chained, position + 1
            else:
                row["leaf_hash"] = leaf_hash({name: values[name] for name in LEAF_FIELDS})
                row.update(prev_hash="", hash="")
            buffer.write("\t".join(_copy_text(row[name]) for name in columns) + "\n")
        buffer.seek(0)
        nodes.seek(0)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)
            if sequenced:
                cursor.copy_expert(
                    f'COPY {AuditTreeNode._meta.db_table} (level, "index", hash) FROM STDIN', nodes
                )
    common.psql(DB_NAME, f"VACUUM ANALYZE {table}")


def seed_events(until: int) -> None:
    from audit.models import AuditEvent

    _copy_events(until - AuditEvent.objects.count(), sequenced=True)


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


def proof_latencies() -> dict:
    """p50/p95 of inclusion proofs (random events, at the full size) and consistency
    proofs (random first size) at the log's current size."""
    from audit.models import AuditEvent
    from audit.proofs import consistency_proof, inclusion_proof, log_size

    size = log_size()
    rng = random.Random(17)  # noqa: S311 - which events, not secrets
    positions = [rng.randrange(size) for _ in range(PROOFS)]
    ids = dict(AuditEvent.objects.filter(position__in=positions).values_list("position", "id"))
    inclusion, consistency = [], []
    for position in positions:
        started = time.perf_counter()
        inclusion_proof(event_id=ids[position], tree_size=size)
        inclusion.append(time.perf_counter() - started)
        started = time.perf_counter()
        consistency_proof(first=position + 1, second=size)
        consistency.append(time.perf_counter() - started)
    return {
        "tree_size": size,
        "inclusion": common.percentiles(inclusion),
        "consistency": common.percentiles(consistency),
    }


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
    from audit import checkpoints
    from audit.models import AuditEvent

    results = {
        "append, 1 writer": append_rate(1, PER_WRITER),
        f"append, {WRITERS} writers": append_rate(WRITERS, PER_WRITER),
        "append in transactions, 1 writer": append_rate(1, PER_WRITER, in_transaction=True),
        f"append in transactions, {WRITERS} writers": append_rate(
            WRITERS, PER_WRITER, in_transaction=True
        ),
        "sequencer": sequencer_rate(SEQUENCER_EVENTS),
    }
    for name in list(results):
        print(f"{name:<24} {results[name]}")

    for size in (SMALL, LARGE):
        started = time.perf_counter()
        seed_events(size - TAIL)
        print(f"seeded to {size - TAIL} events in {time.perf_counter() - started:.1f} s")
        checkpoint_at_head()
        checkpoints.publish(force=True)
        figures = incremental_tail()
        figures["events_in_log"] = AuditEvent.objects.count()
        results[f"incremental verify of last {TAIL} at {size}"] = figures
        print(f"incremental verify, last {TAIL} of {figures['events_in_log']}: {figures}")

    checkpoints.publish(force=True)
    proofs = proof_latencies()
    results[f"proofs at {proofs['tree_size']}"] = proofs
    print(f"proofs: {proofs}")
    figures = full_verify()
    results[f"full verify_audit_chain at {LARGE}"] = figures
    print(f"manage.py verify_audit_chain: {figures}")
    misses = []
    if figures["seconds"] > FULL_VERIFY_TARGET_S:
        misses.append(f"full verify {figures['seconds']} s > {FULL_VERIFY_TARGET_S} s")
    appended = results[f"append, {WRITERS} writers"]
    if appended["per_second"] < APPEND_TARGET:
        misses.append(f"append {appended['per_second']}/s < {APPEND_TARGET}/s")
    if appended["merge_delay_p99_s"] > MERGE_DELAY_P99_TARGET_S:
        misses.append(f"merge delay p99 {appended['merge_delay_p99_s']} s")
    if results["sequencer"]["per_second"] < SEQUENCER_TARGET:
        misses.append(f"sequencer {results['sequencer']['per_second']}/s < {SEQUENCER_TARGET}/s")
    for kind in ("inclusion", "consistency"):
        if proofs[kind]["p95_ms"] > PROOF_P95_TARGET_MS:
            misses.append(f"{kind} proof p95 {proofs[kind]['p95_ms']} ms")
    results["misses"] = misses
    from django.db import connections

    connections.close_all()
    common.save("audit_chain", results, db_name=DB_NAME)
    if os.environ.get("BENCH_KEEP_DB") != "1":
        common.drop_database(DB_NAME)
    print("OK" if not misses else "MISSED: " + "; ".join(misses))


if __name__ == "__main__":
    main()
