"""Search (dashboard.search): pg_trgm, and GIN indexes over the search vector of each
source and over its identifiers for substring matches. PostgreSQL only, built
concurrently (no write is blocked while they build); SQLite searches without them.

The definitions come from dashboard.search_index, which the queries share: change a
source's fields there only together with a new migration that drops and rebuilds its
index (an expression index is only used by a query with the very same expression).
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

from dashboard.search_index import SOURCES, substring_index_sql, vector_index


def _names():
    for source in SOURCES:
        yield source.vector_index_name
        for field in source.substring_fields:
            yield source.substring_index_name(field)


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    quote = schema_editor.quote_name
    for name in _names():  # what a failed build left behind (INVALID)
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {quote(name)}")
    for source in SOURCES:
        model = apps.get_model(source.app_label, source.model_name)
        schema_editor.add_index(model, vector_index(source), concurrently=True)
        for field in source.substring_fields:
            column = model._meta.get_field(field).column
            schema_editor.execute(substring_index_sql(source, model._meta.db_table, column, quote))


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in _names():
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {schema_editor.quote_name(name)}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("incidents", "0010_task_due_index"),
        ("evidence", "0012_integrity_acknowledgement"),
        ("disclosures", "0005_text_and_date_rules"),
        ("observables", "0001_observables"),
    ]

    operations = [
        TrigramExtension(),
        migrations.RunPython(create, drop),
    ]
