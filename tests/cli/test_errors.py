"""One-line errors and distinct exit codes: bad token, missing scope, server down, bad
configuration."""

import os
import socket
import time

import pytest

from tests.cli.conftest import client_env, run

pytestmark = pytest.mark.django_db(transaction=True)


def test_bad_token_is_exit_4_with_a_hint(cordon):
    result = cordon("cdn_not-a-real-token", "incident", "list")
    assert result.code == 4
    assert "401" in result.stderr
    assert "CORDON_TOKEN" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_missing_scope_is_exit_5(cordon, lead):
    result = cordon(
        lead, "incident", "file", "--title", "x", "--severity", "low", scopes=("incidents:read",)
    )
    assert result.code == 5
    assert "403" in result.stderr
    assert "scope" in result.stderr
    assert "Traceback" not in result.stderr


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_server_down_is_exit_7_after_bounded_retries():
    env = client_env(f"http://127.0.0.1:{closed_port()}", "cdn_whatever")
    started = time.monotonic()
    result = run("--retries", "1", "incident", "list", env=env)
    assert result.code == 7
    assert "connection refused" in result.stderr
    assert "retrying" in result.stderr
    assert "Traceback" not in result.stderr
    assert time.monotonic() - started < 20


def test_no_configuration_says_how_to_configure(tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith("CORDON_")}
    result = run("incident", "list", env=env)
    assert result.code == 8
    assert "CORDON_URL" in result.stderr


def test_config_file_readable_by_others_is_refused(tmp_path, live_server, lead):
    from tests.factories import issue_token

    config = tmp_path / "config.ini"
    config.write_text(
        f"[cordon]\nurl = {live_server.url}\ntoken = {issue_token(lead, 'incidents:read')}\n"
    )
    config.chmod(0o644)
    env = {key: value for key, value in os.environ.items() if not key.startswith("CORDON_")}
    env["CORDON_CONFIG"] = str(config)
    refused = run("incident", "list", env=env)
    assert refused.code == 8
    assert "0644" in refused.stderr
    assert f"chmod 600 {config}" in refused.stderr
    config.chmod(0o600)
    accepted = run("incident", "list", env=env)
    assert accepted.code == 0, accepted.stderr


def test_token_file_is_read_and_must_be_private(tmp_path, live_server, lead):
    from tests.factories import issue_token

    token_file = tmp_path / "token"
    token_file.write_text(issue_token(lead, "incidents:read") + "\n")
    token_file.chmod(0o600)
    env = client_env(live_server.url, None)
    assert run("--token-file", str(token_file), "incident", "list", env=env).code == 0
    token_file.chmod(0o640)
    refused = run("--token-file", str(token_file), "incident", "list", env=env)
    assert refused.code == 8
    assert "chmod 600" in refused.stderr


def test_the_token_is_never_taken_from_the_command_line():
    result = run("--token", "cdn_x", "incident", "list", env=client_env("http://127.0.0.1:1", "t"))
    assert result.code == 2
    assert "never taken from the command line" in result.stderr
    assert "cdn_x" not in result.stderr


def test_the_client_imports_nothing_from_django_or_the_app():
    """It must run on a compromised host with nothing but the standard library."""
    import subprocess
    import sys

    code = (
        "import sys, cordon_cli.main\n"
        "outside = sorted(name for name in sys.modules if name.split('.')[0] in "
        "{'django', 'rest_framework', 'config', 'accounts', 'incidents', 'evidence'})\n"
        "print(outside)\n"
    )
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_an_error_names_its_request_id_apart_from_the_fields():
    from cordon_cli.client import describe

    assert describe(401, b'{"detail": "Invalid token.", "request_id": "abc123"}') == (
        "401 Unauthorized: Invalid token. (request abc123)"
    )
    assert describe(400, b'{"title": ["Required."], "request_id": "abc123"}') == (
        "400 Bad Request: title: Required. (request abc123)"
    )
    assert describe(400, b'{"title": ["Required."]}') == "400 Bad Request: title: Required."
