"""On PostgreSQL, refuse TRUNCATE of evidence items and custody events: the row
triggers of 0002 never see it, and a truncate would erase the chain of custody.

A statement-level trigger, so the refusal costs nothing on ordinary writes. Django's
`flush` truncates every table, so it is refused as well; the test harness gets past
these triggers for its own flush only (tests/db_flush.py).
"""

from django.db import migrations

TABLES = {
    "evidence_evidenceitem": "evidence_item_refuse_truncate",
    "evidence_custodyevent": "evidence_custody_refuse_truncate",
}

FUNCTION = """
CREATE OR REPLACE FUNCTION evidence_refuse_truncate() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'TRUNCATE of % refused: evidence and its custody are never removed',
        TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION, params=None)
    for table, trigger in TABLES.items():
        schema_editor.execute(
            f"CREATE TRIGGER {trigger} BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION evidence_refuse_truncate()",
            params=None,
        )


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, trigger in TABLES.items():
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}", params=None)
    schema_editor.execute("DROP FUNCTION IF EXISTS evidence_refuse_truncate()", params=None)


class Migration(migrations.Migration):
    dependencies = [("evidence", "0008_previewed_action")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
