"""What the benchmarks share: a scratch PostgreSQL database, gunicorn on loopback, the
machine's description, and bench/results.json (merged by benchmark name)."""

from __future__ import annotations

import http.client
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
BROKER = os.environ.get("BENCH_BROKER", "redis://127.0.0.1:6379/13")


def database_url(name: str) -> str:
    return f"{PG}/{name}"


def env(db_name: str, **extra: str) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": database_url(db_name),
        "CELERY_BROKER_URL": BROKER,
        "API_THROTTLE_USER_RATE": "1000000/hour",
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def _pg_args() -> list[str]:
    # BENCH_PG is postgres://user@host:port; the client tools want them apart.
    rest = PG.split("://", 1)[1]
    user, _, hostport = rest.rpartition("@")
    host, _, port = hostport.partition(":")
    return ["-h", host, "-p", port or "5432", "-U", user or "postgres"]


def _client(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(f"the PostgreSQL client {name} is not on PATH")
    return path


def recreate_database(db_name: str) -> None:
    drop_database(db_name)
    subprocess.run([_client("createdb"), *_pg_args(), db_name], check=True)  # noqa: S603


def drop_database(db_name: str) -> None:
    subprocess.run([_client("dropdb"), "--if-exists", *_pg_args(), db_name], check=True)  # noqa: S603


def psql(db_name: str, sql: str) -> str:
    result = subprocess.run(  # noqa: S603 - the PostgreSQL client on our own SQL
        [_client("psql"), *_pg_args(), "-v", "ON_ERROR_STOP=1", "-qAt", "-d", db_name, "-c", sql],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"psql on {db_name}: {result.stderr.strip()}")
    return result.stdout.strip()


def manage(db_name: str, *args: str, stdin: str | None = None, **extra_env: str) -> str:
    result = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env(db_name, **extra_env),
        input=stdin,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def issue_token(db_name: str, username: str, *scopes: str) -> str:
    args = [arg for scope in scopes for arg in ("--scope", scope)]
    return manage(db_name, "issue_api_token", username, *args).strip().splitlines()[-1]


class Gunicorn:
    """gunicorn serving the app on a loopback port, as `with Gunicorn(...) as server:`."""

    def __init__(self, db_name: str, port: int, *, workers: int = 2, **extra_env: str):
        self.port = port
        self.process = subprocess.Popen(  # noqa: S603 - our own gunicorn
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "config.wsgi:application",
                "--chdir",
                str(ROOT),
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env(db_name, **extra_env),
        )

    def __enter__(self) -> Gunicorn:
        for _ in range(200):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
                conn.request("GET", "/healthz")
                conn.getresponse().read()
                return self
            except OSError:
                time.sleep(0.1)
        self.process.terminate()
        raise RuntimeError("gunicorn did not start")

    def cpu_seconds(self) -> float:
        """CPU time the web workers used so far: unlike latency, untouched by whatever
        else keeps the machine's cores busy."""
        import psutil

        total = 0.0
        for worker in psutil.Process(self.process.pid).children():
            times = worker.cpu_times()
            total += times.user + times.system
        return total

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)


def load_average() -> float:
    return round(os.getloadavg()[0], 1)


def percentiles(latencies_s: list[float]) -> dict:
    ordered = sorted(latencies_s)
    return {
        "requests": len(ordered),
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def machine(db_name: str | None = None) -> dict:
    info = {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "ram_gib": _ram_gib(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
    }
    if db_name:
        try:
            info["postgresql"] = psql(db_name, "SHOW server_version")
        except (OSError, subprocess.CalledProcessError):
            info["postgresql"] = "unknown"
    return info


def save(name: str, figures: dict, *, db_name: str | None = None) -> None:
    """Merge one benchmark's figures into bench/results.json under its name."""
    try:
        results = json.loads(RESULTS.read_text())
    except (OSError, ValueError):
        results = {}
    results[name] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(db_name),
        "figures": figures,
    }
    RESULTS.write_text(json.dumps(dict(sorted(results.items())), indent=2) + "\n")
    print(f"results.json: {name} updated")
