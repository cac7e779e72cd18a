"""Deployment: Django's deploy checks pass in the production profile, the compose file
follows the Compose specification, and the gunicorn configuration loads."""

import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Set by the browser tests' conftest for this process; a deployment never has it.
PROFILE_VARIABLES = {
    "SECRET_KEY",
    "DEBUG",
    "CORDON_ENV",
    "ALLOWED_HOSTS",
    "MAINTENANCE_MODE",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}


def _run(*args, **env):
    clean = {k: v for k, v in os.environ.items() if k not in PROFILE_VARIABLES}
    clean.update(env)
    return subprocess.run(  # noqa: S603 - our own interpreter and commands
        [sys.executable, *args], env=clean, cwd=ROOT, capture_output=True, text=True
    )


def test_check_deploy_passes_in_the_production_profile(tmp_path):
    result = _run(
        "manage.py",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        CORDON_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="cordon.example",
        SITE_URL="https://cordon.example",
        AUDIT_SIGNING_KEY="A" * 43 + "=",
        DATABASE_URL=f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_in_development():
    """The check is not vacuous: the development profile (plain HTTP) fails it."""
    result = _run("manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0


def test_compose_file_follows_the_compose_specification():
    tool = shutil.which("check-jsonschema") or str(Path(sys.executable).parent / "check-jsonschema")
    result = subprocess.run(  # noqa: S603 - a test tool on our own file
        [tool, "--builtin-schema", "vendor.compose-spec", "docker-compose.yml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_env_example_documents_every_variable_the_settings_read():
    import re

    settings_text = "\n".join(
        part.read_text() for part in sorted((ROOT / "config" / "settings").glob("*.py"))
    )
    read = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z][A-Z0-9_]+)"', settings_text))
    documented = set(
        re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M)
    )
    assert read, "the pattern found no variables"
    assert read <= documented, sorted(read - documented)


@pytest.mark.parametrize("workers", ["", "5"])
def test_gunicorn_configuration_loads(workers):
    probe = (
        "import runpy; c = runpy.run_path('config/gunicorn.conf.py');"
        "print(c['workers'], c['timeout'], c['worker_class'], c['limit_request_line'])"
    )
    result = _run("-c", probe, WEB_CONCURRENCY=workers) if workers else _run("-c", probe)
    assert result.returncode == 0, result.stderr
    count, timeout, worker_class, _ = result.stdout.split()
    assert int(count) == (5 if workers else int(count)) and int(count) >= 1
    assert int(timeout) >= 120
    assert worker_class == "gthread"
