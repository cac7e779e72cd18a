"""core.migrations_ops: the timeline index (incidents 0004) is built with CREATE INDEX
CONCURRENTLY on PostgreSQL, outside a transaction, and as a plain index elsewhere."""

import pytest
from django.db import NotSupportedError, connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.test.utils import CaptureQueriesContext

from core.migrations_ops import AddIndexConcurrentlyOnPostgres

MIGRATION = ("incidents", "0004_timeline_time_index")
INDEX = "incidents_timeline_time_idx"
TABLE = "incidents_timelineentry"
on_postgresql = connection.vendor == "postgresql"


def _timeline_migration():
    loader = MigrationLoader(None)  # from the files alone, as migrate would plan it
    migration = loader.graph.nodes[MIGRATION]
    before = loader.project_state(MIGRATION, at_end=False)
    after = loader.project_state(MIGRATION, at_end=True)
    return migration, before, after


def _index_exists():
    with connection.cursor() as cursor:
        return INDEX in connection.introspection.get_constraints(cursor, TABLE)


def test_the_timeline_migration_builds_its_index_outside_a_transaction():
    migration, _, _ = _timeline_migration()
    (operation,) = migration.operations
    assert isinstance(operation, AddIndexConcurrentlyOnPostgres)
    assert migration.atomic is False


@pytest.mark.django_db(transaction=True)
def test_the_index_is_dropped_and_built_again_the_way_the_database_allows():
    migration, before, after = _timeline_migration()
    (operation,) = migration.operations
    assert _index_exists()

    with (
        connection.schema_editor(atomic=migration.atomic) as editor,
        CaptureQueriesContext(connection) as queries,
    ):
        operation.database_backwards("incidents", editor, after, before)
        dropped = not _index_exists()
        operation.database_forwards("incidents", editor, before, after)

    assert dropped
    assert _index_exists()
    statements = [q["sql"] for q in queries.captured_queries if INDEX in q["sql"]]
    concurrently = [s for s in statements if "CONCURRENTLY" in s]
    if on_postgresql:
        assert len(concurrently) == 2, statements
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indisvalid FROM pg_index WHERE indexrelid = %s::regclass", [INDEX]
            )
            assert cursor.fetchone() == (True,)
    else:
        assert concurrently == [], statements


@pytest.mark.skipif(not on_postgresql, reason="CONCURRENTLY exists on PostgreSQL only")
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_it_refuses_to_run_inside_a_transaction():
    migration, before, after = _timeline_migration()
    (operation,) = migration.operations
    with (
        pytest.raises(NotSupportedError, match="atomic = False"),
        transaction.atomic(),
        connection.schema_editor(atomic=True) as editor,
    ):
        operation.database_backwards("incidents", editor, after, before)
    assert _index_exists()
