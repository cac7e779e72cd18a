"""Row locks and the audit chain lock must not deadlock.

Every service transaction ends by taking the audit chain lock (audit.record), and
every audit event references its actor: inserting it takes FOR KEY SHARE on the
person's row, as any insert does on the rows its foreign keys point to. A transaction
that held FOR UPDATE on a row (or, through select_related, on the rows it joins, such
as a notification's recipient) and then waited for the chain lock deadlocked with one
that held the chain lock and inserted a row pointing at it. Hence the rule this test
keeps: row locks are FOR NO KEY UPDATE OF the locked model alone, which foreign-key
inserts do not wait for. tests/evidence/test_row_locks.py shows the deadlock's first
half with two real connections.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ["accounts", "audit", "dashboard", "disclosures", "evidence", "incidents", "notifications"]


def lock_calls():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "select_for_update"
                ):
                    yield path.relative_to(ROOT), node


def test_every_row_lock_is_no_key_update_of_its_own_model():
    calls = list(lock_calls())
    assert len(calls) > 10  # the services do lock rows: this test looks at real code
    offenders = []
    for path, node in calls:
        keywords = {keyword.arg: keyword.value for keyword in node.keywords}
        no_key = keywords.get("no_key")
        of = keywords.get("of")
        if not (isinstance(no_key, ast.Constant) and no_key.value is True):
            offenders.append(f"{path}:{node.lineno} without no_key=True")
        if not (isinstance(of, ast.Tuple) and [ast.literal_eval(e) for e in of.elts] == ["self"]):
            offenders.append(f'{path}:{node.lineno} without of=("self",)')
    assert not offenders, "\n".join(offenders)
