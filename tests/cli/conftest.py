"""The `cordon` client run as a real process against a live server on loopback."""

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.factories import issue_token

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def vault(settings, tmp_path, monkeypatch):
    """EVIDENCE_ROOT in the test's own folder; hashing runs in the server's process after
    commit (eagerly), whatever broker the suite was given, so `--wait` has an answer."""
    from config.celery import app

    root = tmp_path / "vault"
    settings.EVIDENCE_ROOT = root
    settings.EVIDENCE_STORAGE = "local"
    monkeypatch.setitem(app.conf, "task_always_eager", True)
    return root


@pytest.fixture(autouse=True)
def _no_config_file(tmp_path, monkeypatch):
    """The client never reads the config file of whoever runs the tests."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("CORDON_CONFIG", raising=False)
    monkeypatch.delenv("CORDON_URL", raising=False)
    monkeypatch.delenv("CORDON_TOKEN", raising=False)


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str


def client_env(url: str, token: str | None, **extra: str) -> dict[str, str]:
    env = {**os.environ, "CORDON_URL": url, **extra}
    if token is not None:
        env["CORDON_TOKEN"] = token
    return env


def run(*args: str, env: dict[str, str], timeout: float = 120) -> Result:
    process = subprocess.run(  # noqa: S603 - our own client, fixed arguments
        [sys.executable, "-m", "cordon_cli", *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Result(process.returncode, process.stdout, process.stderr)


@pytest.fixture
def cordon(live_server):
    """`cordon(user_or_token, "incident", "list", scopes=[...])` → Result."""

    def call(who, *args, scopes=("incidents:read", "incidents:write"), timeout=120, **extra):
        token = who if isinstance(who, str) or who is None else issue_token(who, *scopes)
        return run(*args, env=client_env(live_server.url, token, **extra), timeout=timeout)

    return call
