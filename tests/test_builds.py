"""Builds that can be reproduced: the lock files agree with pyproject.toml, every
install goes through them with hashes, 0.x dependencies are capped, and the lock audit
tells a vulnerable lock, a clean one and an unreachable vulnerability service apart
(bin/check_lock.py, bin/audit_lock.py)."""

import importlib.util
import json
import os
import re
import socket
import subprocess
import sys
import threading
import tomllib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def _load_script(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "bin" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


check_lock = _load_script("check_lock")
audit_lock = _load_script("audit_lock")

HASH = "--hash=sha256:" + "0" * 64


def _lock(*pins):
    return "".join(f"{pin} \\\n    {HASH}\n    # via cordon\n" for pin in pins)


def _pyproject(dependencies, test=()):
    return {
        "project": {
            "dependencies": list(dependencies),
            "optional-dependencies": {"test": list(test)},
        }
    }


# --- the lock files and pyproject.toml --------------------------------------------


def test_the_lock_files_satisfy_pyproject():
    assert check_lock.check_all() == []


def test_a_lock_file_parses_with_markers_and_several_hashes():
    text = (
        "# header\n"
        "colorama==0.4.6 ; sys_platform == 'win32' \\\n"
        f"    {HASH} \\\n    --hash=sha256:{'1' * 64}\n"
        "    # via click\n"
    )
    pins, problems = check_lock.parse_lock(text)
    assert problems == []
    assert pins == [
        check_lock.Pin(
            "colorama",
            "0.4.6",
            'sys_platform == "win32"',
            (f"sha256:{'0' * 64}", f"sha256:{'1' * 64}"),
        )
    ]


def test_a_version_pyproject_does_not_allow_is_drift():
    problems = check_lock.check_lock(
        _pyproject(["Django>=5.2,<5.3"]), ("dependencies",), _lock("django==5.3.0")
    )
    assert problems == ["django==5.3.0 is locked, but pyproject.toml asks for Django<5.3,>=5.2"]


def test_a_requirement_missing_from_the_lock_is_drift():
    problems = check_lock.check_lock(
        _pyproject(["django>=5.2"], test=["pytest>=8"]),
        ("dependencies", "test"),
        _lock("django==5.2.19"),
    )
    assert problems == ["pytest>=8 is required by pyproject.toml but not locked"]


def test_a_requirement_for_another_platform_is_not_asked_of_the_lock():
    problems = check_lock.check_lock(
        _pyproject(["pywin32>=300; sys_platform == 'win32'"]), ("dependencies",), _lock()
    )
    assert problems == []


@pytest.mark.parametrize(
    ("lock_text", "problem"),
    [
        ("django>=5.2 \\\n    " + HASH + "\n", "django is not pinned to one version"),
        ("django==5.2.19\n", "django==5.2.19 has no sha256 hash"),
        ("-e .\n", "option lines are not expected"),
    ],
)
def test_a_lock_entry_must_be_one_exact_version_with_a_hash(lock_text, problem):
    problems = check_lock.check_lock(_pyproject(["django"]), ("dependencies",), lock_text)
    assert any(problem in p for p in problems), problems


def test_the_test_lock_must_hold_the_versions_the_image_ships():
    problems = check_lock.check_same_versions(
        _lock("django==5.2.19", "redis==8.2.0"), _lock("django==5.2.18", "pytest==9.2.0")
    )
    assert problems == [
        "django==5.2.19 ships in the image but the test lock has 5.2.18",
        "redis==8.2.0 ships in the image but the test lock has nothing",
    ]


def test_drift_in_the_repository_fails_the_check(tmp_path):
    for name in (
        "pyproject.toml",
        "requirements/main.txt",
        "requirements/test.txt",
        "requirements/build.txt",
        "requirements/build.in",
    ):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text((ROOT / name).read_text())
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace('"Django[argon2]>=5.2,<5.3"', '"Django[argon2]>=5.3"')
    )
    problems = check_lock.check_all(tmp_path)
    assert any("pyproject.toml asks for Django[argon2]>=5.3" in p for p in problems), problems


def test_the_build_input_must_repeat_the_build_system_requirements():
    pyproject = {"build-system": {"requires": ["setuptools>=80"]}}
    assert check_lock.check_build_input(pyproject, "# comment\nsetuptools>=80\n") == []
    (problem,) = check_lock.check_build_input(pyproject, "setuptools>=77\n")
    assert "[build-system].requires is ['setuptools>=80']" in problem


def _pyproject_requirements():
    project = PYPROJECT["project"]
    texts = project["dependencies"] + [
        text for group in project["optional-dependencies"].values() for text in group
    ]
    return [Requirement(text) for text in texts]


def _locked_versions():
    pins, _ = check_lock.parse_lock((ROOT / "requirements/test.txt").read_text())
    return {pin.name: Version(pin.version) for pin in pins}


def test_every_dependency_below_1_0_is_capped():
    """A 0.x release may break on any minor version: each one stops before the next."""
    locked = _locked_versions()
    uncapped = [
        str(requirement)
        for requirement in _pyproject_requirements()
        if locked[canonicalize_name(requirement.name)].major == 0
        and not any(spec.operator in ("<", "==", "~=") for spec in requirement.specifier)
    ]
    assert uncapped == []


@pytest.mark.parametrize("tool", ["ruff", "uv", "pip-audit"])
def test_lint_and_lock_tools_are_pinned_exactly(tool):
    (requirement,) = [r for r in _pyproject_requirements() if r.name == tool]
    assert [spec.operator for spec in requirement.specifier] == ["=="]


def test_make_installs_from_the_lock_files_with_hashes():
    makefile = (ROOT / "Makefile").read_text()
    assert "LOCKED_INSTALL := $(BIN)/pip install --quiet --require-hashes" in makefile
    assert "$(LOCKED_INSTALL) -r requirements/build.txt -r requirements/main.txt" in makefile
    assert "$(LOCKED_INSTALL) -r requirements/build.txt -r requirements/test.txt" in makefile
    assert "--no-deps --no-build-isolation --editable ." in makefile
    assert "pip install --quiet --editable" not in makefile


def test_the_image_installs_from_the_runtime_lock_with_hashes():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "COPY requirements/main.txt" in dockerfile
    assert re.search(r"pip install --require-hashes -r \S*requirements\.txt", dockerfile)
    assert 'pip install ".' not in dockerfile


def test_the_image_holds_every_package_of_ours_it_runs():
    from django.apps import apps

    copied = set(re.findall(r"^COPY (\w+) \./\1$", (ROOT / "Dockerfile").read_text(), re.M))
    ours = {"config"} | {
        Path(config.path).relative_to(ROOT).parts[0]
        for config in apps.get_app_configs()
        if Path(config.path).is_relative_to(ROOT) and "site-packages" not in Path(config.path).parts
    }
    assert ours - copied == set()


# --- the lock audit: decisions on captured pip-audit output ------------------------

VULNERABLE_REPORT = {
    "dependencies": [
        {
            "name": "django",
            "version": "5.2.19",
            "vulns": [
                {
                    "id": "PYSEC-2026-1",
                    "fix_versions": ["5.2.20"],
                    "aliases": [],
                    "description": "x",
                }
            ],
        },
        {"name": "six", "version": "1.17.0", "vulns": []},
    ],
    "fixes": [],
}
CLEAN_REPORT = {"dependencies": [{"name": "django", "version": "5.2.19", "vulns": []}]}
# What pip-audit writes with PyPI's JSON API unreachable behind a proxy that answers 404.
ALL_SKIPPED_REPORT = {
    "dependencies": [
        {
            "name": name,
            "skip_reason": f"Dependency not found on PyPI and could not be audited: {name} (1.0)",
        }
        for name in ("django", "six")
    ],
    "fixes": [],
}
PARTLY_SKIPPED_REPORT = {
    "dependencies": [
        CLEAN_REPORT["dependencies"][0],
        ALL_SKIPPED_REPORT["dependencies"][1],
    ],
}
DNS_FAILURE = (
    "Traceback (most recent call last):\n  ...\nrequests.exceptions.ConnectionError: "
    "HTTPSConnectionPool(host='api.osv.dev', port=443): Max retries exceeded with url: "
    "/v1/query (Caused by NameResolutionError(\"Failed to resolve 'api.osv.dev' "
    '([Errno -2] Name or service not known)"))\n'
)


def _decide(returncode=0, report=None, stderr="", required=False):
    return audit_lock.decide(returncode=returncode, report=report, stderr=stderr, required=required)


def test_audit_fails_on_a_known_vulnerability():
    outcome = _decide(returncode=1, report=VULNERABLE_REPORT)
    assert (outcome.status, outcome.exit_code) == ("FAILED", 1)
    assert "django 5.2.19: PYSEC-2026-1 (fixed in 5.2.20)" in outcome.message


def test_audit_passes_a_clean_lock():
    outcome = _decide(report=CLEAN_REPORT)
    assert (outcome.status, outcome.exit_code) == ("passed", 0)


@pytest.mark.parametrize(
    ("report", "stderr"),
    [
        (None, DNS_FAILURE),
        (ALL_SKIPPED_REPORT, ""),
        (None, "requests.exceptions.HTTPError: 503 Server Error: Service Unavailable"),
        (
            None,
            "pip_audit._service.interface.ConnectionError: Could not connect to OSV's "
            "vulnerability feed",
        ),
    ],
)
def test_an_unreachable_service_skips_loudly_unless_required(report, stderr):
    outcome = _decide(returncode=1 if report is None else 0, report=report, stderr=stderr)
    assert (outcome.status, outcome.exit_code) == ("SKIPPED", 0)
    assert outcome.message.startswith("lock audit SKIPPED: vulnerability service unreachable (")
    assert "\n" not in outcome.message.split(")\n")[0], "the reason fits on the line"

    required = _decide(
        returncode=1 if report is None else 0, report=report, stderr=stderr, required=True
    )
    assert (required.status, required.exit_code) == ("FAILED", 1)


def test_the_reason_names_the_failure_and_the_host():
    assert audit_lock.unreachable_reason(DNS_FAILURE) == "NameResolutionError for api.osv.dev"
    assert audit_lock.unreachable_reason("ERROR: hash mismatch for six") is None


def test_a_vulnerability_fails_even_when_some_packages_were_skipped():
    report = {
        "dependencies": VULNERABLE_REPORT["dependencies"] + ALL_SKIPPED_REPORT["dependencies"]
    }
    assert _decide(returncode=1, report=report).status == "FAILED"


def test_an_audit_with_some_packages_skipped_fails():
    outcome = _decide(report=PARTLY_SKIPPED_REPORT)
    assert (outcome.status, outcome.exit_code) == ("FAILED", 1)
    assert "six" in outcome.message


def test_any_other_pip_audit_failure_fails():
    outcome = _decide(returncode=1, stderr="ERROR:pip_audit._cli:requirement six is missing a hash")
    assert (outcome.status, outcome.exit_code) == ("FAILED", 1)


# --- the lock audit end to end: the real pip-audit against a fake OSV -------------


class _FakeOSV(BaseHTTPRequestHandler):
    vulnerable: dict = {}

    def do_POST(self):
        query = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        name = query["package"]["name"]
        answer = {}
        if name in self.vulnerable:
            answer = {
                "vulns": [
                    {
                        "id": self.vulnerable[name],
                        "summary": "remote code execution",
                        "affected": [
                            {
                                "package": {"name": name, "ecosystem": "PyPI"},
                                "ranges": [
                                    {
                                        "type": "ECOSYSTEM",
                                        "events": [{"introduced": "0"}, {"fixed": "99.0"}],
                                    }
                                ],
                            }
                        ],
                    }
                ]
            }
        body = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_osv():
    def start(vulnerable):
        handler = type("Handler", (_FakeOSV,), {"vulnerable": vulnerable})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/v1/query"

    servers = []
    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _closed_port_url():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1/query"


def _audit(tmp_path, osv_url, **env):
    lock = tmp_path / "lock.txt"
    lock.write_text(_lock("django==5.2.19", "six==1.17.0"))
    environment = {k: v for k, v in os.environ.items() if k != audit_lock.REQUIRED_VARIABLE}
    environment.update(env)
    return subprocess.run(  # noqa: S603 - our own interpreter and script
        [
            sys.executable,
            str(ROOT / "bin" / "audit_lock.py"),
            "--requirement",
            str(lock),
            "--osv-url",
            osv_url,
            "--cache-dir",
            str(tmp_path / "cache"),
            "--timeout",
            "5",
        ],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )


def test_audit_end_to_end_finds_a_vulnerability(tmp_path, fake_osv):
    result = _audit(tmp_path, fake_osv({"six": "GHSA-fake-0001"}))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "lock audit FAILED: 1 known vulnerabilities in 1 locked packages" in result.stderr
    assert "six 1.17.0: GHSA-fake-0001 (fixed in 99.0)" in result.stderr


def test_audit_end_to_end_passes_a_clean_lock(tmp_path, fake_osv):
    result = _audit(tmp_path, fake_osv({}))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "lock audit passed: 2 locked packages, no known vulnerabilities" in result.stdout


def test_audit_end_to_end_skips_an_unreachable_service(tmp_path):
    result = _audit(tmp_path, _closed_port_url())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "lock audit SKIPPED: vulnerability service unreachable (" in result.stderr

    required = _audit(tmp_path, _closed_port_url(), **{audit_lock.REQUIRED_VARIABLE: "1"})
    assert required.returncode == 1
    assert "lock audit FAILED: vulnerability service unreachable" in required.stderr
