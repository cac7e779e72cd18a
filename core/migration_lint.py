"""The migration linter: refuses migrations that would lock a big table or cannot be
undone, before they reach a production database. `manage.py lint_migrations` runs it
(and `make lint` runs that).

It reads the operations of every migration of Cordon's own apps, with the project state
just before the migration, so it needs no database and no network. Rules (`RULES`):
errors fail the lint, warnings are printed.

Escape hatches, both visible in review:
- a migration that has already shipped is listed, with the rule it breaks, in the
  baseline file (`core/migration_lint_baseline.txt`); an entry that no longer matches
  anything is itself an error, so the list only shrinks;
- a new migration can state why a rule does not apply to it, e.g. a table that holds
  a handful of rows: `lint_migrations_allow = {"ADD_INDEX": "one row per role"}` on its
  Migration class.

Chosen over django-migration-linter, which reads the SQL of `sqlmigrate` and so needs
a database connection: its check for an index built on an existing table exists only
for PostgreSQL and only as a warning, and on the embedded SQLite it sees none.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations, models
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.state import ProjectState
from django.db.models.fields import NOT_PROVIDED

ERROR, WARNING = "error", "warning"

ALLOW_ATTRIBUTE = "lint_migrations_allow"
BASELINE_PATH = Path(__file__).resolve().parent / "migration_lint_baseline.txt"

# Code -> (severity, what is wrong and what to do instead).
RULES = {
    "ADD_INDEX": (
        ERROR,
        "AddIndex on a table that already exists blocks every write to it while the "
        "index builds; use core.migrations_ops.AddIndexConcurrentlyOnPostgres in a "
        "migration of its own with atomic = False",
    ),
    "ADD_FIELD_INDEX": (
        ERROR,
        "a new or altered field with an index (db_index, unique, a ForeignKey) on a table "
        "that already exists builds the index under a lock; add the field with "
        "db_index=False, then the index with AddIndexConcurrentlyOnPostgres",
    ),
    "ADD_UNIQUE_CONSTRAINT": (
        ERROR,
        "a unique or exclusion constraint on a table that already exists builds its "
        "index under a lock and checks every row",
    ),
    "ADD_NOT_NULL_COLUMN": (
        ERROR,
        "a NOT NULL column without a default cannot be added to a table that has rows; "
        "give it a db_default or make it nullable",
    ),
    "ADD_NOT_NULL_WITHOUT_DB_DEFAULT": (
        WARNING,
        "Django fills a new NOT NULL column from its Python default (or a blank text "
        "field's empty string), then drops the default from the database: the code "
        "still running during a deploy inserts without the column and fails; give it a "
        "db_default",
    ),
    "SET_NOT_NULL": (
        ERROR,
        "making a column NOT NULL scans the whole table under an exclusive lock",
    ),
    "RENAME": (
        ERROR,
        "a renamed table or column breaks the code still running during a rolling "
        "deploy; add the new one, copy, and remove the old one in a later release",
    ),
    "RUNSQL_IRREVERSIBLE": (
        ERROR,
        "RunSQL without reverse_sql cannot be rolled back; give one (RunSQL.noop when "
        "going back needs nothing)",
    ),
    "RUNPYTHON_IRREVERSIBLE": (
        ERROR,
        "RunPython without reverse_code cannot be rolled back; give one (RunPython.noop "
        "when going back needs nothing)",
    ),
    "CONCURRENT_IN_TRANSACTION": (
        ERROR,
        "a concurrent index operation cannot run inside a transaction; set atomic = False "
        "on the migration",
    ),
    "CONCURRENT_NOT_ALONE": (
        WARNING,
        "a migration with atomic = False is not rolled back as a whole when it fails; "
        "keep the concurrent operation alone in its migration",
    ),
    "REMOVE_FIELD": (
        WARNING,
        "removing a column breaks the code still running during a rolling deploy; stop "
        "using it in one release, remove it in the next",
    ),
    "DELETE_MODEL": (
        WARNING,
        "removing a table breaks the code still running during a rolling deploy; stop "
        "using it in one release, remove it in the next",
    ),
    "ALLOW_WITHOUT_REASON": (
        ERROR,
        f"every rule named in {ALLOW_ATTRIBUTE} needs the reason it does not apply",
    ),
}


@dataclass(frozen=True)
class Finding:
    """One rule one migration breaks."""

    app_label: str
    migration: str
    code: str
    detail: str

    @property
    def severity(self) -> str:
        return RULES[self.code][0]

    @property
    def key(self) -> str:
        """How the baseline names it."""
        return f"{self.app_label}.{self.migration} {self.code}"

    def __str__(self) -> str:
        return f"{self.severity} {self.key}: {self.detail} ({RULES[self.code][1]})"


def _database_operations(operations: Iterable) -> Iterator:
    """The operations that touch the database, SeparateDatabaseAndState unwrapped."""
    for operation in operations:
        if isinstance(operation, migrations.SeparateDatabaseAndState):
            yield from _database_operations(operation.database_operations)
        else:
            yield operation


def _has_table(state: ProjectState, app_label: str, model_name: str) -> bool:
    model = state.models.get((app_label, model_name.lower()))
    if model is None:
        return False
    return model.options.get("managed", True) and not model.options.get("proxy", False)


def _makes_index(field: models.Field) -> bool:
    if field.many_to_many or field.primary_key:
        return False
    # django-stubs leaves out Field.db_index, which Field.__init__ always sets.
    return bool(field.db_index or field.unique)  # type: ignore[attr-defined]


def _fills_existing_rows(field: models.Field) -> bool:
    """Whether Django's schema editor has a value for the rows a new NOT NULL column
    finds (BaseDatabaseSchemaEditor._effective_default): a default, a blank text
    field's empty string, the time of an auto_now date."""
    return (
        field.has_default()
        or (field.blank and field.empty_strings_allowed)
        or getattr(field, "auto_now", False)
        or getattr(field, "auto_now_add", False)
    )


def _check_operation(app_label, operation, existing, state) -> Iterator[tuple[str, str]]:
    """(code, detail) for each rule the operation breaks. `existing` holds the models
    whose table was created by an earlier migration; `state` is the state just before
    this operation."""
    model_name = getattr(operation, "model_name", None) or getattr(operation, "name", "")
    on_existing = (app_label, str(model_name).lower()) in existing
    described = operation.describe()

    if isinstance(operation, migrations.AddIndex):
        if on_existing and not isinstance(operation, AddIndexConcurrently):
            yield "ADD_INDEX", described
    elif isinstance(operation, migrations.AddConstraint):
        if on_existing and isinstance(
            operation.constraint, models.UniqueConstraint | ExclusionConstraint
        ):
            yield "ADD_UNIQUE_CONSTRAINT", described
    elif isinstance(operation, migrations.AlterUniqueTogether):
        old = state.models[app_label, operation.name_lower].options.get("unique_together", ())
        added = {tuple(names) for names in operation.option_value or ()} - {
            tuple(names) for names in old or ()
        }
        if on_existing and added:
            yield "ADD_UNIQUE_CONSTRAINT", described
    elif isinstance(operation, migrations.AddField):
        field = operation.field
        if on_existing and not field.many_to_many:
            if not field.null and field.db_default is NOT_PROVIDED:
                if _fills_existing_rows(field):
                    yield "ADD_NOT_NULL_WITHOUT_DB_DEFAULT", described
                else:
                    yield "ADD_NOT_NULL_COLUMN", described
            if _makes_index(field):
                yield "ADD_FIELD_INDEX", described
    elif isinstance(operation, migrations.AlterField):
        if on_existing:
            old = state.models[app_label, operation.model_name_lower].fields[operation.name]
            new = operation.field
            if old.null and not new.null and not new.many_to_many:
                yield "SET_NOT_NULL", described
            if _makes_index(new) and not _makes_index(old):
                yield "ADD_FIELD_INDEX", described
    elif isinstance(operation, migrations.RenameField | migrations.RenameModel):
        yield "RENAME", described
    elif isinstance(operation, migrations.AlterModelTable):
        if on_existing:
            yield "RENAME", described
    elif isinstance(operation, migrations.RunSQL):
        if operation.reverse_sql is None:
            yield "RUNSQL_IRREVERSIBLE", described
    elif isinstance(operation, migrations.RunPython):
        if operation.reverse_code is None:
            yield "RUNPYTHON_IRREVERSIBLE", described
    elif isinstance(operation, migrations.RemoveField):
        yield "REMOVE_FIELD", described
    elif isinstance(operation, migrations.DeleteModel):
        yield "DELETE_MODEL", described


def lint_migration(migration: migrations.Migration, state_before: ProjectState) -> list[Finding]:
    """Every rule the migration breaks, given the project state just before it."""
    app_label, name = migration.app_label, migration.name
    existing = {key for key in state_before.models if _has_table(state_before, *key)}
    state = state_before.clone()
    found: list[tuple[str, str]] = []
    for operation in migration.operations:
        for inner in _database_operations([operation]):
            found.extend(_check_operation(app_label, inner, existing, state))
        operation.state_forwards(app_label, state)

    concurrent = [
        op
        for op in _database_operations(migration.operations)
        if isinstance(op, AddIndexConcurrently | RemoveIndexConcurrently)
    ]
    if concurrent and migration.atomic:
        found.append(("CONCURRENT_IN_TRANSACTION", concurrent[0].describe()))
    if concurrent and len(migration.operations) > 1:
        found.append(("CONCURRENT_NOT_ALONE", f"{len(migration.operations)} operations"))

    allowed = getattr(migration, ALLOW_ATTRIBUTE, {}) or {}
    findings = []
    for code, reason in allowed.items():
        if not (isinstance(reason, str) and reason.strip()):
            findings.append(Finding(app_label, name, "ALLOW_WITHOUT_REASON", code))
    findings += [
        Finding(app_label, name, code, detail) for code, detail in found if code not in allowed
    ]
    return findings


def lint_loader(loader: MigrationLoader, app_labels: Iterable[str]) -> tuple[list[Finding], int]:
    """The findings for every migration of the given apps, and how many were read."""
    labels = set(app_labels)
    nodes = sorted(key for key in loader.graph.nodes if key[0] in labels)
    findings = []
    for key in nodes:
        state_before = loader.project_state(key, at_end=False)
        findings.extend(lint_migration(loader.graph.nodes[key], state_before))
    return findings, len(nodes)


def read_baseline(path: Path) -> set[str]:
    """The baseline's entries: `app.migration CODE`, one a line, `#` starts a comment."""
    if not path.exists():
        return set()
    entries = set()
    for line in path.read_text().splitlines():
        entry = " ".join(line.split("#", 1)[0].split())
        if entry:
            entries.add(entry)
    return entries


@dataclass
class Verdict:
    errors: list[Finding]
    warnings: list[Finding]
    baselined: list[Finding]
    stale: list[str]


def judge(findings: list[Finding], baseline: set[str]) -> Verdict:
    """Split the findings by what they mean for the lint, the baseline applied."""
    baselined = [f for f in findings if f.key in baseline]
    rest = [f for f in findings if f.key not in baseline]
    return Verdict(
        errors=[f for f in rest if f.severity == ERROR],
        warnings=[f for f in rest if f.severity == WARNING],
        baselined=baselined,
        stale=sorted(baseline - {f.key for f in findings}),
    )
