"""The migration linter (core/migration_lint.py, `manage.py lint_migrations`): it flags
migrations that would lock a big table or cannot be undone, and passes ours."""

import sys
import textwrap

import pytest
from django.core.management import CommandError, call_command
from django.db import migrations, models
from django.db.migrations.state import ProjectState
from django.test import override_settings

from core import migration_lint
from core.migrations_ops import AddIndexConcurrentlyOnPostgres

APP = "probe"


def _state_with_table():
    """The state after a migration that created probe.Thing (a table with rows)."""
    state = ProjectState()
    migrations.CreateModel(
        "Thing",
        [
            ("id", models.AutoField(primary_key=True)),
            ("name", models.CharField(max_length=50, null=True)),
            ("at", models.DateTimeField(null=True)),
        ],
    ).state_forwards(APP, state)
    return state


def _lint(*operations, atomic=True, allow=None, state=None):
    attributes = {"operations": list(operations), "atomic": atomic}
    if allow is not None:
        attributes[migration_lint.ALLOW_ATTRIBUTE] = allow
    migration = type("Migration", (migrations.Migration,), attributes)("0002_probe", APP)
    findings = migration_lint.lint_migration(migration, state or _state_with_table())
    return [finding.code for finding in findings]


def _noop(apps, schema_editor):
    pass


THING_INDEX = models.Index(fields=["at"], name="probe_thing_at_idx")


def test_add_index_on_an_existing_table_is_refused():
    assert _lint(migrations.AddIndex("thing", THING_INDEX)) == ["ADD_INDEX"]


def test_add_index_concurrently_alone_outside_a_transaction_passes():
    assert _lint(AddIndexConcurrentlyOnPostgres("thing", THING_INDEX), atomic=False) == []


def test_add_index_concurrently_inside_a_transaction_is_refused():
    assert _lint(AddIndexConcurrentlyOnPostgres("thing", THING_INDEX)) == [
        "CONCURRENT_IN_TRANSACTION"
    ]


def test_add_index_concurrently_with_other_operations_is_a_warning():
    codes = _lint(
        AddIndexConcurrentlyOnPostgres("thing", THING_INDEX),
        migrations.AddField("thing", "note", models.TextField(null=True)),
        atomic=False,
    )
    assert codes == ["CONCURRENT_NOT_ALONE"]
    assert migration_lint.RULES["CONCURRENT_NOT_ALONE"][0] == migration_lint.WARNING


def test_an_index_on_a_table_created_in_the_same_migration_passes():
    codes = _lint(
        migrations.CreateModel(
            "Other", [("id", models.AutoField(primary_key=True)), ("at", models.DateTimeField())]
        ),
        migrations.AddIndex("other", models.Index(fields=["at"], name="probe_other_at_idx")),
        migrations.AddConstraint(
            "other", models.UniqueConstraint(fields=["at"], name="probe_other_at_unique")
        ),
    )
    assert codes == []


def test_a_unique_constraint_on_an_existing_table_is_refused():
    constraint = models.UniqueConstraint(fields=["name"], name="probe_thing_name_unique")
    assert _lint(migrations.AddConstraint("thing", constraint)) == ["ADD_UNIQUE_CONSTRAINT"]


def test_a_check_constraint_builds_no_index_and_passes():
    constraint = models.CheckConstraint(
        condition=models.Q(name__isnull=False), name="probe_thing_name_set"
    )
    assert _lint(migrations.AddConstraint("thing", constraint)) == []


def test_unique_together_on_an_existing_table_is_refused():
    assert _lint(migrations.AlterUniqueTogether("thing", {("name", "at")})) == [
        "ADD_UNIQUE_CONSTRAINT"
    ]


@pytest.mark.parametrize(
    ("field", "codes"),
    [
        (models.IntegerField(), ["ADD_NOT_NULL_COLUMN"]),
        (models.IntegerField(default=0), ["ADD_NOT_NULL_WITHOUT_DB_DEFAULT"]),
        (models.CharField(max_length=5, blank=True), ["ADD_NOT_NULL_WITHOUT_DB_DEFAULT"]),
        (models.IntegerField(db_default=0), []),
        (models.IntegerField(null=True), []),
        (models.IntegerField(null=True, db_index=True), ["ADD_FIELD_INDEX"]),
        (models.ForeignKey("probe.thing", models.CASCADE, null=True), ["ADD_FIELD_INDEX"]),
        (models.ForeignKey("probe.thing", models.CASCADE, null=True, db_index=False), []),
        (models.ManyToManyField("probe.thing"), []),
    ],
)
def test_a_new_column_on_an_existing_table(field, codes):
    assert _lint(migrations.AddField("thing", "extra", field)) == codes


def test_altering_a_column_to_not_null_is_refused():
    field = models.CharField(max_length=50)
    assert _lint(migrations.AlterField("thing", "name", field)) == ["SET_NOT_NULL"]


def test_altering_a_column_to_add_an_index_is_refused():
    field = models.CharField(max_length=50, null=True, db_index=True)
    assert _lint(migrations.AlterField("thing", "name", field)) == ["ADD_FIELD_INDEX"]


def test_altering_validators_or_help_text_passes():
    field = models.CharField(max_length=50, null=True, help_text="what it is called")
    assert _lint(migrations.AlterField("thing", "name", field)) == []


@pytest.mark.parametrize(
    "operation",
    [
        migrations.RenameField("thing", "name", "title"),
        migrations.RenameModel("Thing", "Item"),
        migrations.AlterModelTable("thing", "probe_items"),
    ],
)
def test_renames_are_refused(operation):
    assert _lint(operation) == ["RENAME"]


@pytest.mark.parametrize(
    ("operation", "codes"),
    [
        (migrations.RunSQL("SELECT 1"), ["RUNSQL_IRREVERSIBLE"]),
        (migrations.RunSQL("SELECT 1", migrations.RunSQL.noop), []),
        (migrations.RunPython(_noop), ["RUNPYTHON_IRREVERSIBLE"]),
        (migrations.RunPython(_noop, migrations.RunPython.noop), []),
    ],
)
def test_irreversible_code_is_refused(operation, codes):
    assert _lint(operation) == codes


def test_removing_a_column_or_a_table_is_a_warning():
    codes = _lint(migrations.RemoveField("thing", "name"), migrations.DeleteModel("Thing"))
    assert codes == ["REMOVE_FIELD", "DELETE_MODEL"]
    assert {migration_lint.RULES[code][0] for code in codes} == {migration_lint.WARNING}


def test_database_operations_inside_separate_database_and_state_are_read():
    operation = migrations.SeparateDatabaseAndState(
        database_operations=[migrations.AddIndex("thing", THING_INDEX)],
        state_operations=[migrations.AddIndex("thing", THING_INDEX)],
    )
    assert _lint(operation) == ["ADD_INDEX"]


def test_a_migration_may_say_why_a_rule_does_not_apply():
    operation = migrations.AddIndex("thing", THING_INDEX)
    assert _lint(operation, allow={"ADD_INDEX": "one row per role, never more"}) == []
    assert _lint(operation, allow={"ADD_INDEX": " "}) == ["ALLOW_WITHOUT_REASON"]


def test_the_baseline_allows_shipped_findings_and_reports_stale_entries():
    findings = [
        migration_lint.Finding("probe", "0002_x", "ADD_INDEX", "d"),
        migration_lint.Finding("probe", "0003_y", "RENAME", "d"),
        migration_lint.Finding("probe", "0003_y", "REMOVE_FIELD", "d"),
    ]
    verdict = migration_lint.judge(findings, {"probe.0002_x ADD_INDEX", "probe.0009_gone RENAME"})
    assert [f.key for f in verdict.baselined] == ["probe.0002_x ADD_INDEX"]
    assert [f.key for f in verdict.errors] == ["probe.0003_y RENAME"]
    assert [f.key for f in verdict.warnings] == ["probe.0003_y REMOVE_FIELD"]
    assert verdict.stale == ["probe.0009_gone RENAME"]


# --- the command over the project's migrations ------------------------------------


def test_the_project_migrations_pass(capsys):
    call_command("lint_migrations")
    out = capsys.readouterr().out
    assert "0 errors" in out


def test_without_the_baseline_the_shipped_findings_fail(tmp_path, capsys):
    empty = tmp_path / "baseline.txt"
    empty.write_text("")
    with pytest.raises(CommandError):
        call_command("lint_migrations", baseline=empty)
    assert "accounts.0008_unique_email ADD_UNIQUE_CONSTRAINT" in capsys.readouterr().err


def test_the_timeline_index_is_built_concurrently():
    """incidents 0004 is not in the baseline: it passes the linter on its own."""
    baseline = migration_lint.read_baseline(migration_lint.BASELINE_PATH)
    assert not any(entry.startswith("incidents.0004") for entry in baseline)


def test_a_stale_baseline_entry_fails(tmp_path, capsys):
    baseline = tmp_path / "baseline.txt"
    baseline.write_text(
        migration_lint.BASELINE_PATH.read_text() + "incidents.0004_timeline_time_index ADD_INDEX\n"
    )
    with pytest.raises(CommandError):
        call_command("lint_migrations", baseline=baseline)
    assert "incidents.0004_timeline_time_index ADD_INDEX: listed in the baseline" in (
        capsys.readouterr().err
    )


@pytest.fixture
def throwaway_migrations(tmp_path, monkeypatch):
    """A migrations package on disk for the `core` app (which has none of its own)."""
    package = tmp_path / "lint_probe_migrations"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "0001_initial.py").write_text(
        textwrap.dedent("""
        from django.db import migrations, models

        class Migration(migrations.Migration):
            initial = True
            operations = [
                migrations.CreateModel("Probe", [
                    ("id", models.AutoField(primary_key=True)),
                    ("seen_at", models.DateTimeField()),
                ]),
                migrations.AddIndex("probe", models.Index(fields=["seen_at"], name="p_idx")),
            ]
    """)
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield package
    for name in [m for m in sys.modules if m.startswith("lint_probe_migrations")]:
        del sys.modules[name]


def test_a_bad_migration_on_disk_is_flagged(throwaway_migrations, tmp_path, capsys):
    (throwaway_migrations / "0002_late_index.py").write_text(
        textwrap.dedent("""
        from django.db import migrations, models

        class Migration(migrations.Migration):
            dependencies = [("core", "0001_initial")]
            operations = [
                migrations.AddIndex(
                    "probe", models.Index(fields=["seen_at", "id"], name="p_late_idx")
                ),
                migrations.RunSQL("UPDATE core_probe SET seen_at = seen_at"),
            ]
    """)
    )
    with (
        override_settings(MIGRATION_MODULES={"core": "lint_probe_migrations"}),
        pytest.raises(CommandError, match="2 errors"),
    ):
        call_command("lint_migrations", "core", baseline=tmp_path / "none.txt")
    err = capsys.readouterr().err
    assert "error core.0002_late_index ADD_INDEX" in err
    assert "error core.0002_late_index RUNSQL_IRREVERSIBLE" in err
    assert "0001_initial" not in err


def test_the_same_index_built_concurrently_passes(throwaway_migrations, tmp_path, capsys):
    (throwaway_migrations / "0002_late_index.py").write_text(
        textwrap.dedent("""
        from django.db import migrations, models

        from core.migrations_ops import AddIndexConcurrentlyOnPostgres

        class Migration(migrations.Migration):
            atomic = False
            dependencies = [("core", "0001_initial")]
            operations = [
                AddIndexConcurrentlyOnPostgres(
                    "probe", models.Index(fields=["seen_at", "id"], name="p_late_idx")
                ),
            ]
    """)
    )
    with override_settings(MIGRATION_MODULES={"core": "lint_probe_migrations"}):
        call_command("lint_migrations", "core", baseline=tmp_path / "none.txt")
    assert "2 migrations in 1 apps; 0 errors" in capsys.readouterr().out
