"""Evidence hashing throughput on one file (issue 4, "Speed and memory").

    .venv/bin/python bench/evidence_hashing.py [--size-mib 1024] [--path FILE] [--repeat 3]

Writes a random file (1 GiB by default) unless --path is given, reads it once to put it
in the page cache, then times, best of --repeat runs:
  - hashlib.file_digest(f, "sha256"): the reference (OpenSSL through hashlib);
  - the hashing task's read loop with SHA-256 alone (evidence.hashing.digest_stream);
  - hashlib.file_digest(f, "md5"): the slowest digest alone;
  - the hashing task's one pass computing SHA-256, SHA-1 and MD5 in parallel threads.
Prints the throughputs and the two ratios the issue asks for.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common
from evidence.hashing import ALL_DIGESTS, digest_stream

MIB = 1024 * 1024


def best_time(function, repeat: int) -> float:
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        timings.append(time.perf_counter() - started)
    return min(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--path")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    created = None
    if args.path:
        path = Path(args.path)
    else:
        handle, name = tempfile.mkstemp(prefix="evidence-bench-")
        created = path = Path(name)
        with os.fdopen(handle, "wb") as out:
            for _ in range(args.size_mib):
                out.write(os.urandom(MIB))
    size = path.stat().st_size
    try:
        with open(path, "rb") as warm:
            while warm.read(16 * MIB):
                pass

        def file_digest(algorithm):
            with open(path, "rb") as f:
                return hashlib.file_digest(f, algorithm).hexdigest()

        def task(algorithms):
            with open(path, "rb", buffering=0) as f:
                return digest_stream(f, algorithms)

        assert task(("sha256",)).sha256 == file_digest("sha256")
        runs = {
            "hashlib.file_digest sha256": lambda: file_digest("sha256"),
            "task loop, sha256 alone": lambda: task(("sha256",)),
            "hashlib.file_digest md5": lambda: file_digest("md5"),
            "task, sha256+sha1+md5": lambda: task(ALL_DIGESTS),
        }
        seconds = {label: best_time(run, args.repeat) for label, run in runs.items()}
    finally:
        if created is not None:
            created.unlink()

    print(f"file: {size / MIB:.0f} MiB, best of {args.repeat}, {os.cpu_count()} CPUs")
    for label, elapsed in seconds.items():
        print(f"  {label:30s} {size / MIB / elapsed:8.0f} MiB/s  ({elapsed:.3f} s)")
    sha_ratio = seconds["hashlib.file_digest sha256"] / seconds["task loop, sha256 alone"]
    all_ratio = seconds["hashlib.file_digest md5"] / seconds["task, sha256+sha1+md5"]
    task_vs_sha = seconds["hashlib.file_digest sha256"] / seconds["task, sha256+sha1+md5"]
    print(f"task SHA-256 / file_digest SHA-256:        {sha_ratio:.2f}  (target >= 0.90)")
    print(f"three digests / MD5 alone:                 {all_ratio:.2f}  (target >= 0.80)")
    print(f"whole task (three digests) / file_digest SHA-256: {task_vs_sha:.2f}")
    common.save(
        "evidence_hashing",
        {
            "file_mib": round(size / MIB),
            "mib_per_second": {label: round(size / MIB / t) for label, t in seconds.items()},
            "task_sha256_vs_file_digest": round(sha_ratio, 2),
            "three_digests_vs_md5_alone": round(all_ratio, 2),
        },
    )


if __name__ == "__main__":
    main()
