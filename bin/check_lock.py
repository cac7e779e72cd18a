#!/usr/bin/env python3
"""Fail when pyproject.toml asks for something the lock files do not satisfy.

The lock files in requirements/ are what every install uses (the Makefile, the image,
CI); pyproject.toml is where people change the requirements. `make lock` compiles the
one from the other; this check, part of `make lint`, catches the two drifting apart
without needing the network:

- every entry of a lock file is an exact pin (`name==version`) with at least one hash;
- every requirement of the groups a lock file is compiled from (see LOCKS) is pinned in
  it, at a version its specifier allows;
- the test lock holds every runtime package at the very version the image ships, so
  the suite tests what runs in production;
- requirements/build.in, from which the build backend is locked, repeats
  [build-system].requires exactly.

Extras of a dependency (`celery[redis]`) are not followed here: an install with
`--require-hashes` already fails when the lock lacks anything a package needs.
"""

from __future__ import annotations

import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent

# Lock file -> the groups of pyproject.toml it is compiled from: "dependencies" is
# [project].dependencies, "build-system" is [build-system].requires, any other name an
# optional-dependencies extra.
LOCKS = {
    "requirements/main.txt": ("dependencies", "s3"),
    "requirements/test.txt": ("dependencies", "s3", "test"),
    "requirements/build.txt": ("build-system",),
}
# The lock whose versions the image installs, and the one that must agree with it.
RUNTIME_LOCK = "requirements/main.txt"
TEST_LOCK = "requirements/test.txt"
# uv cannot compile [build-system].requires itself: this file repeats them for it.
BUILD_INPUT = "requirements/build.in"

# Requirements with an environment marker are checked for the platform the lock is
# compiled for first: CPython 3.11 on Linux (the image, CI).
TARGET_ENVIRONMENT = {
    **default_environment(),
    "python_version": "3.11",
    "python_full_version": "3.11.0",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "os_name": "posix",
}


@dataclass(frozen=True)
class Pin:
    """One entry of a lock file: `name==version ; marker --hash=...`."""

    name: str
    version: str
    marker: str
    hashes: tuple[str, ...] = field(default=())


def _logical_lines(text: str):
    """Requirement lines with their backslash continuations joined, comments dropped."""
    buffer = ""
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].rstrip() if not raw.lstrip().startswith("#") else ""
        if line.endswith("\\"):
            buffer += line[:-1] + " "
            continue
        buffer += line
        if buffer.strip():
            yield buffer.strip()
        buffer = ""
    if buffer.strip():
        yield buffer.strip()


def parse_lock(text: str) -> tuple[list[Pin], list[str]]:
    """The pins of a lock file and the problems with its lines."""
    pins, problems = [], []
    for line in _logical_lines(text):
        if line.startswith("-"):
            problems.append(f"option lines are not expected in a lock file: {line[:80]}")
            continue
        requirement_text, *hash_parts = line.split("--hash=")
        hashes = tuple(part.strip() for part in hash_parts)
        try:
            requirement = Requirement(requirement_text.strip())
        except InvalidRequirement as error:
            problems.append(f"unreadable line {line[:80]!r}: {error}")
            continue
        exact = [s for s in requirement.specifier if s.operator == "=="]
        if len(exact) != 1 or len(requirement.specifier) != 1 or "*" in exact[0].version:
            problems.append(f"{requirement.name} is not pinned to one version: {requirement}")
            continue
        if not any(h.startswith("sha256:") for h in hashes):
            problems.append(f"{requirement.name}=={exact[0].version} has no sha256 hash")
        pins.append(
            Pin(
                name=canonicalize_name(requirement.name),
                version=exact[0].version,
                marker=str(requirement.marker or ""),
                hashes=hashes,
            )
        )
    return pins, problems


def requirements_of(pyproject: dict, groups: tuple[str, ...]) -> list[Requirement]:
    """The requirements that pyproject.toml states for the given groups."""
    found = []
    for group in groups:
        if group == "dependencies":
            texts = pyproject["project"].get("dependencies", [])
        elif group == "build-system":
            texts = pyproject.get("build-system", {}).get("requires", [])
        else:
            texts = pyproject["project"].get("optional-dependencies", {})[group]
        found.extend(Requirement(text) for text in texts)
    return found


def check_lock(pyproject: dict, groups: tuple[str, ...], lock_text: str) -> list[str]:
    """What in `groups` of pyproject.toml the lock file does not satisfy."""
    pins, problems = parse_lock(lock_text)
    by_name: dict[str, list[Pin]] = {}
    for pin in pins:
        by_name.setdefault(pin.name, []).append(pin)
    for requirement in requirements_of(pyproject, groups):
        if requirement.marker and not requirement.marker.evaluate(TARGET_ENVIRONMENT):
            continue
        locked = by_name.get(canonicalize_name(requirement.name))
        if not locked:
            problems.append(f"{requirement} is required by pyproject.toml but not locked")
            continue
        for pin in locked:
            if not requirement.specifier.contains(pin.version, prereleases=True):
                problems.append(
                    f"{pin.name}=={pin.version} is locked, but pyproject.toml asks for "
                    f"{requirement}"
                )
    return problems


def check_same_versions(runtime_text: str, test_text: str) -> list[str]:
    """Runtime packages the test lock holds at another version (or not at all)."""
    runtime, _ = parse_lock(runtime_text)
    test, _ = parse_lock(test_text)
    in_test = {(pin.name, pin.marker): pin.version for pin in test}
    problems = []
    for pin in runtime:
        tested = in_test.get((pin.name, pin.marker))
        if tested != pin.version:
            problems.append(
                f"{pin.name}=={pin.version} ships in the image but the test lock has "
                f"{tested or 'nothing'}"
            )
    return problems


def check_build_input(pyproject: dict, build_input_text: str) -> list[str]:
    """requirements/build.in must state exactly [build-system].requires."""
    stated = {str(Requirement(line)) for line in _logical_lines(build_input_text)}
    wanted = {str(r) for r in requirements_of(pyproject, ("build-system",))}
    if stated == wanted:
        return []
    return [
        f"{BUILD_INPUT} states {sorted(stated)} but [build-system].requires is "
        f"{sorted(wanted)}; make them the same"
    ]


def check_all(root: Path = ROOT) -> list[str]:
    pyproject = tomllib.loads((root / "pyproject.toml").read_text())
    problems = []
    texts = {}
    for path, groups in LOCKS.items():
        lock = root / path
        if not lock.exists():
            problems.append(f"{path} is missing: run `make lock`")
            continue
        texts[path] = lock.read_text()
        problems.extend(f"{path}: {p}" for p in check_lock(pyproject, groups, texts[path]))
    if (root / BUILD_INPUT).exists():
        problems.extend(check_build_input(pyproject, (root / BUILD_INPUT).read_text()))
    else:
        problems.append(f"{BUILD_INPUT} is missing")
    if RUNTIME_LOCK in texts and TEST_LOCK in texts:
        problems.extend(
            f"{TEST_LOCK}: {p}" for p in check_same_versions(texts[RUNTIME_LOCK], texts[TEST_LOCK])
        )
    return problems


def main() -> int:
    problems = check_all()
    if problems:
        print("lock check FAILED: pyproject.toml and the lock files disagree", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        print("  run `make lock` and commit requirements/", file=sys.stderr)
        return 1
    print(f"lock check passed: {', '.join(LOCKS)} satisfy pyproject.toml")
    return 0


if __name__ == "__main__":
    sys.exit(main())
