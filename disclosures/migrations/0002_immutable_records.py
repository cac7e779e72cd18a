"""On PostgreSQL, the database itself keeps disclosure versions and publications as
written, and lets an approval change only once: from standing to voided."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION disclosures_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% rows are immutable (% refused)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER disclosures_version_immutable
    BEFORE UPDATE OR DELETE ON disclosures_disclosureversion
    FOR EACH ROW EXECUTE FUNCTION disclosures_refuse_change();

CREATE TRIGGER disclosures_publication_immutable
    BEFORE UPDATE OR DELETE ON disclosures_publication
    FOR EACH ROW EXECUTE FUNCTION disclosures_refuse_change();

CREATE OR REPLACE FUNCTION disclosures_approval_void_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE'
       OR OLD.voided_at IS NOT NULL
       OR NEW.voided_at IS NULL
       OR NEW.disclosure_id <> OLD.disclosure_id
       OR NEW.version_id <> OLD.version_id
       OR NEW.approver_id <> OLD.approver_id
       OR NEW.role <> OLD.role
       OR NEW.body_sha256 <> OLD.body_sha256
       OR NEW.approved_at <> OLD.approved_at THEN
        RAISE EXCEPTION 'an approval is only ever voided (% refused)', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER disclosures_approval_void_only
    BEFORE UPDATE OR DELETE ON disclosures_approval
    FOR EACH ROW EXECUTE FUNCTION disclosures_approval_void_only();
"""

DROP = """
DROP TRIGGER IF EXISTS disclosures_approval_void_only ON disclosures_approval;
DROP FUNCTION IF EXISTS disclosures_approval_void_only();
DROP TRIGGER IF EXISTS disclosures_publication_immutable ON disclosures_publication;
DROP TRIGGER IF EXISTS disclosures_version_immutable ON disclosures_disclosureversion;
DROP FUNCTION IF EXISTS disclosures_refuse_change();
"""


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("disclosures", "0001_initial")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
