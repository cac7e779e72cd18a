"""On PostgreSQL, refuse TRUNCATE of disclosure versions, approvals and publications:
the row triggers of 0002 never see it.

A statement-level trigger, so the refusal costs nothing on ordinary writes. Django's
`flush` truncates every table, so it is refused as well; the test harness gets past
these triggers for its own flush only (tests/db_flush.py).
"""

from django.db import migrations

TABLES = {
    "disclosures_disclosureversion": "disclosures_version_refuse_truncate",
    "disclosures_approval": "disclosures_approval_refuse_truncate",
    "disclosures_publication": "disclosures_publication_refuse_truncate",
}

FUNCTION = """
CREATE OR REPLACE FUNCTION disclosures_refuse_truncate() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'TRUNCATE of % refused: disclosure records are kept as written',
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
            "FOR EACH STATEMENT EXECUTE FUNCTION disclosures_refuse_truncate()",
            params=None,
        )


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, trigger in TABLES.items():
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}", params=None)
    schema_editor.execute("DROP FUNCTION IF EXISTS disclosures_refuse_truncate()", params=None)


class Migration(migrations.Migration):
    dependencies = [("disclosures", "0003_role_permissions")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
