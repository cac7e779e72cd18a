#!/usr/bin/env python3
"""Audit the locked packages for known vulnerabilities (pip-audit), honestly offline.

    bin/audit_lock.py [--requirement FILE ...] [pip-audit options, e.g. --ignore-vuln ID]

Runs pip-audit over the lock files as they stand (`--require-hashes --disable-pip`: no
resolution, no install, exactly the pinned versions) against the OSV database, then
decides:

- a known vulnerability in any package: FAILED, exit 1, each one listed;
- every package audited, none vulnerable: passed, exit 0;
- the vulnerability service could not be reached at all (a network error, or an answer
  for no package): `lock audit SKIPPED: vulnerability service unreachable (...)`, exit 0,
  so that a build without internet still passes, and says loudly what it did not check.
  With LOCK_AUDIT_REQUIRED=1 (a release build, a machine with internet) that is a
  failure, exit 1;
- anything else (some packages audited and some not, an unreadable lock file, pip-audit
  failing for another reason): FAILED, exit 1.

OSV rather than pip-audit's default (PyPI's JSON API): OSV holds the PyPA advisories
PyPI shows plus GitHub's, and the hashes are checked by pip at every install anyway.
Packages whose environment marker excludes this interpreter (Windows-only ones) are
not audited: pip-audit evaluates markers for the machine it runs on.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REQUIREMENTS = ("requirements/test.txt", "requirements/build.txt")
DEFAULT_SERVICE = "osv"
REQUIRED_VARIABLE = "LOCK_AUDIT_REQUIRED"

PASSED, FAILED, SKIPPED = "passed", "FAILED", "SKIPPED"

# What requests, urllib3 and pip-audit say when a service cannot be reached, the most
# telling first; an HTTP 429 or 5xx answer means the same. Anything else pip-audit
# fails with is a real failure.
UNREACHABLE_SIGNS = (
    "NameResolutionError",
    "Name or service not known",
    "Temporary failure in name resolution",
    "nodename nor servname provided",
    "getaddrinfo failed",
    "Connection refused",
    "Network is unreachable",
    "No route to host",
    "Connection reset",
    "RemoteDisconnected",
    "ProxyError",
    "SSLError",
    "ConnectTimeout",
    "ReadTimeout",
    "timed out",
    "Failed to establish a new connection",
    "Max retries exceeded",
    "Could not connect to",
    "ConnectionError",
)
UNREACHABLE_STATUS = re.compile(r"\b(?:429|50[0-9]) (?:Client |Server )?Error[^\n]{0,80}")
SERVICE_HOST = re.compile(r"host='([^']+)'")


@dataclass(frozen=True)
class Outcome:
    status: str
    message: str
    exit_code: int


def _skip_or_fail(reason: str, required: bool) -> Outcome:
    if required:
        return Outcome(
            FAILED,
            f"lock audit FAILED: vulnerability service unreachable ({reason}) "
            f"and {REQUIRED_VARIABLE}=1",
            1,
        )
    return Outcome(
        SKIPPED,
        f"lock audit SKIPPED: vulnerability service unreachable ({reason})\n"
        f"No locked package was checked for known vulnerabilities. Run `make audit-lock` "
        f"where the service answers; {REQUIRED_VARIABLE}=1 makes this a failure.",
        0,
    )


def unreachable_reason(stderr: str) -> str | None:
    """Why the service could not be reached, in a few words; None if it could."""
    status = UNREACHABLE_STATUS.search(stderr)
    if status:
        return status.group(0).strip()
    for sign in UNREACHABLE_SIGNS:
        if sign in stderr:
            host = SERVICE_HOST.search(stderr)
            return f"{sign} for {host.group(1)}" if host else sign
    return None


def _last_error_line(stderr: str) -> str:
    lines = [line.strip() for line in stderr.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else "no output"


def decide(*, returncode: int, report: dict | None, stderr: str, required: bool) -> Outcome:
    """The verdict on one pip-audit run: its exit code, its JSON report (None when it
    wrote none) and what it printed on stderr."""
    if report is not None:
        dependencies = report.get("dependencies", [])
        vulnerable = [d for d in dependencies if d.get("vulns")]
        if vulnerable:
            lines = [
                f"  {d['name']} {d.get('version', '?')}: {v['id']}"
                + (f" (fixed in {', '.join(v['fix_versions'])})" if v.get("fix_versions") else "")
                for d in vulnerable
                for v in d["vulns"]
            ]
            count = sum(len(d["vulns"]) for d in vulnerable)
            return Outcome(
                FAILED,
                f"lock audit FAILED: {count} known vulnerabilities in {len(vulnerable)} "
                f"locked packages\n" + "\n".join(lines),
                1,
            )
        skipped = [d for d in dependencies if d.get("skip_reason")]
        audited = [d for d in dependencies if not d.get("skip_reason")]
        if skipped and not audited:
            first = skipped[0]["skip_reason"]
            return _skip_or_fail(
                f"no package could be audited, {len(skipped)} skipped: {first}", required
            )
        if skipped:
            names = ", ".join(f"{d['name']} ({d['skip_reason']})" for d in skipped)
            return Outcome(
                FAILED,
                f"lock audit FAILED: {len(audited)} packages audited but {len(skipped)} "
                f"could not be: {names}",
                1,
            )
        if not dependencies:
            return Outcome(FAILED, "lock audit FAILED: pip-audit found no package", 1)
        if returncode == 0:
            return Outcome(
                PASSED,
                f"lock audit passed: {len(audited)} locked packages, no known vulnerabilities",
                0,
            )
    reason = unreachable_reason(stderr)
    if reason:
        return _skip_or_fail(reason, required)
    return Outcome(
        FAILED,
        f"lock audit FAILED: pip-audit exited {returncode}: {_last_error_line(stderr)}",
        1,
    )


def run_pip_audit(requirements: list[str], extra: list[str]) -> tuple[int, dict | None, str]:
    """Run pip-audit; its exit code, JSON report (None if it wrote none) and stderr."""
    with tempfile.TemporaryDirectory(prefix="audit-lock-") as scratch:
        report_path = Path(scratch) / "report.json"
        command = [
            sys.executable,
            "-m",
            "pip_audit",
            "--require-hashes",
            "--disable-pip",
            "--progress-spinner",
            "off",
            "--format",
            "json",
            "--output",
            str(report_path),
        ]
        for requirement in requirements:
            command += ["--requirement", requirement]
        if not any(a.startswith(("-s", "--vulnerability-service")) for a in extra):
            command += ["--vulnerability-service", DEFAULT_SERVICE]
        result = subprocess.run(  # noqa: S603 - our own interpreter and arguments
            command + extra, cwd=ROOT, capture_output=True, text=True, check=False
        )
        report = None
        if report_path.exists():
            try:
                report = json.loads(report_path.read_text())
            except json.JSONDecodeError:
                report = None
    return result.returncode, report, result.stderr


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--requirement",
        "-r",
        action="append",
        help=f"a lock file to audit (default: {', '.join(DEFAULT_REQUIREMENTS)})",
    )
    options, extra = parser.parse_known_args(argv)
    required = os.environ.get(REQUIRED_VARIABLE, "") == "1"
    returncode, report, stderr = run_pip_audit(
        options.requirement or list(DEFAULT_REQUIREMENTS), extra
    )
    outcome = decide(returncode=returncode, report=report, stderr=stderr, required=required)
    if outcome.status == PASSED:
        print(outcome.message)
    else:
        banner = "!" * 78
        print(f"{banner}\n{outcome.message}\n{banner}", file=sys.stderr)
    return outcome.exit_code


if __name__ == "__main__":
    sys.exit(main())
