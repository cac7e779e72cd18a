"""A 1 GiB push: the client streams it, so its memory stays flat whatever the size.

Runs in the default suite (well under a minute on loopback): a sparse file costs no
time to write, and the server stores and hashes it in this process.
"""

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from evidence.models import EvidenceItem
from tests.cli.conftest import REPO, client_env
from tests.factories import issue_token

pytestmark = pytest.mark.django_db(transaction=True)

GIB = 1024**3
CLIENT_PEAK_RSS_LIMIT = 100 * 1024 * 1024
# The file, the server's temporary copy and its stored copy, with room to spare.
DISK_NEEDED = 3 * GIB


def peak_rss(pid: int) -> int:
    """The process's own peak resident set (VmHWM), in bytes; 0 once it is gone.

    Not getrusage(RUSAGE_CHILDREN) nor wait4: Linux carries the parent's peak over
    fork and exec into the child's ru_maxrss, so it would measure pytest, not the client.
    """
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def test_a_1_gib_push_with_constant_client_memory(live_server, lead, make_incident, tmp_path):
    if not Path("/proc/self/status").exists():
        pytest.skip("measures memory through /proc (Linux)")
    if shutil.disk_usage(tmp_path).free < DISK_NEEDED:
        pytest.skip("needs 3 GiB free in the temporary folder")
    case = make_incident(reporter=lead)
    big = tmp_path / "disk.img"
    with big.open("wb") as handle:
        handle.truncate(GIB)  # sparse: reads as zeros, written in no time
    token = issue_token(lead, "incidents:read", "evidence:read", "evidence:write")
    env = client_env(live_server.url, token)
    stdout, stderr = tmp_path / "stdout", tmp_path / "stderr"
    started = time.monotonic()
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(  # noqa: S603 - our own client, fixed arguments
            [
                sys.executable,
                "-m",
                "cordon_cli",
                "evidence",
                "push",
                str(big),
                "--incident",
                str(case.pk),
                "--kind",
                "disk_image",
                "--wait",
            ],
            env=env,
            cwd=REPO,
            stdout=out,
            stderr=err,
        )
        peak = 0
        while process.poll() is None:
            peak = max(peak, peak_rss(process.pid))
            time.sleep(0.05)
    elapsed = time.monotonic() - started
    print(f"1 GiB push: {elapsed:.1f}s, client peak RSS {peak / 2**20:.1f} MiB")
    assert process.returncode == 0, stderr.read_text()
    item = EvidenceItem.objects.get()
    assert item.size == GIB
    assert item.status == "verified"
    assert item.receipt_sha256 == item.sender_sha256 == item.sha256
    assert peak < CLIENT_PEAK_RSS_LIMIT
    assert elapsed < 120
