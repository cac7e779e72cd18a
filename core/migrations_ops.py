"""Migration operations that do not lock a big table, on every database Cordon runs on.

`AddIndexConcurrentlyOnPostgres` builds an index with `CREATE INDEX CONCURRENTLY` on
PostgreSQL, where a plain `CREATE INDEX` would block every write to the table for as
long as the build takes; on any other database (the embedded SQLite) it is a plain
`AddIndex`. Django's own `AddIndexConcurrently` only runs on PostgreSQL.

A migration using it sets `atomic = False` (PostgreSQL cannot build an index
concurrently inside a transaction) and holds nothing else, so that a failure leaves
nothing half done. If the build fails on PostgreSQL, it leaves an INVALID index behind:
drop it (`DROP INDEX CONCURRENTLY <name>`) and migrate again. `manage.py
lint_migrations` asks for both.
"""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db.migrations.operations import AddIndex


def _is_postgresql(schema_editor) -> bool:
    return schema_editor.connection.vendor == "postgresql"


class AddIndexConcurrentlyOnPostgres(AddIndexConcurrently):
    """AddIndex that is CREATE INDEX CONCURRENTLY on PostgreSQL, plain elsewhere."""

    def describe(self):
        fields = ", ".join(self.index.fields) or str(self.index.expressions)
        return (
            f"Create index {self.index.name} on {fields} of model {self.model_name} "
            f"(concurrently on PostgreSQL)"
        )

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if _is_postgresql(schema_editor):
            super().database_forwards(app_label, schema_editor, from_state, to_state)
        else:
            AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if _is_postgresql(schema_editor):
            super().database_backwards(app_label, schema_editor, from_state, to_state)
        else:
            AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)
