"""The README's examples work as written on a fresh machine: no tool a fresh machine may
lack (uuidgen), and the token the first example issues has the scopes the examples
after it use (filing, then pushing and reading evidence)."""

import re
from pathlib import Path

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def shell_blocks() -> list[str]:
    return re.findall(r"```sh\n(.*?)```", README, flags=re.S)


def test_no_example_needs_uuidgen():
    assert not any("uuidgen" in block for block in shell_blocks())


def test_the_example_token_has_the_scopes_the_examples_use():
    (issuing,) = [block for block in shell_blocks() if "issue_api_token monitor" in block]
    scopes = set(re.findall(r"--scope (\S+)", issuing.replace("\\\n", " ")))
    assert {"incidents:write", "incidents:read", "evidence:write", "evidence:read"} <= scopes
