"""Imports point one way, as DESIGN.md draws them: an app imports only the apps to its
right in

    config, dashboard -> intake -> observables -> evidence, disclosures -> incidents
                      -> accounts -> audit -> notifications -> core

and `core` imports none of them. Evidence and disclosures do not import each other;
the command-line client imports nothing of Cordon (it ships on its own). A cycle
between apps is a defect: this walks every import, lazy ones inside functions too."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Higher imports lower; equal ranks do not import each other.
RANK = {
    "core": 0,
    "notifications": 1,
    "audit": 2,
    "accounts": 3,
    "incidents": 4,
    "evidence": 5,
    "disclosures": 5,
    "observables": 6,
    "intake": 7,
    "dashboard": 8,
    "config": 9,
}
STANDALONE = {"cordon_cli"}
APPS = [name for name in [*RANK, *STANDALONE] if (ROOT / name).is_dir()]


def _imported_apps(path: Path) -> set[tuple[str, int]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            if top in RANK or top in STANDALONE:
                found.add((top, node.lineno))
    return found


def _violations(app: str) -> list[str]:
    problems = []
    for path in sorted((ROOT / app).rglob("*.py")):
        for imported, line in _imported_apps(path):
            if imported == app:
                continue
            where = f"{path.relative_to(ROOT)}:{line} imports {imported}"
            if app in STANDALONE or imported in STANDALONE or RANK[imported] >= RANK[app]:
                problems.append(where)
    return problems


@pytest.mark.parametrize("app", APPS)
def test_an_app_imports_only_the_apps_below_it(app):
    assert _violations(app) == []


def test_the_walk_sees_a_lazy_import_inside_a_function(tmp_path, monkeypatch):
    (tmp_path / "audit").mkdir()
    (tmp_path / "audit" / "alerts.py").write_text(
        "def alarm():\n    from incidents.models import Incident\n    return Incident\n"
    )
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    assert _violations("audit") == ["audit/alerts.py:2 imports incidents"]
