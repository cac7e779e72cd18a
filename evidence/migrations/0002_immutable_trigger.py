"""On PostgreSQL, refuse in the database what the models refuse in code: deleting an
evidence item, changing its bytes' description (key, size, receipt) or a hash once
set, and any UPDATE or DELETE of a custody event."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION evidence_custody_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'custody events are append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER evidence_custody_append_only
    BEFORE UPDATE OR DELETE ON evidence_custodyevent
    FOR EACH ROW EXECUTE FUNCTION evidence_custody_append_only();

CREATE OR REPLACE FUNCTION evidence_item_immutable() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'evidence items are never deleted'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.incident_id IS DISTINCT FROM OLD.incident_id
        OR NEW.kind IS DISTINCT FROM OLD.kind
        OR NEW.original_name IS DISTINCT FROM OLD.original_name
        OR NEW.storage_key IS DISTINCT FROM OLD.storage_key
        OR NEW.size IS DISTINCT FROM OLD.size
        OR NEW.receipt_sha256 IS DISTINCT FROM OLD.receipt_sha256
        OR NEW.sender_sha256 IS DISTINCT FROM OLD.sender_sha256
        OR NEW.source_host IS DISTINCT FROM OLD.source_host
        OR NEW.source_path IS DISTINCT FROM OLD.source_path
        OR NEW.collected_at IS DISTINCT FROM OLD.collected_at
        OR NEW.collected_by_id IS DISTINCT FROM OLD.collected_by_id
        OR NEW.created_at IS DISTINCT FROM OLD.created_at
        OR (OLD.sha256 <> '' AND NEW.sha256 IS DISTINCT FROM OLD.sha256)
        OR (OLD.sha1 <> '' AND NEW.sha1 IS DISTINCT FROM OLD.sha1)
        OR (OLD.md5 <> '' AND NEW.md5 IS DISTINCT FROM OLD.md5)
        OR (OLD.duplicate_of_id IS NOT NULL
            AND NEW.duplicate_of_id IS DISTINCT FROM OLD.duplicate_of_id)
        OR (OLD.disposed_at IS NOT NULL AND NEW.disposed_at IS DISTINCT FROM OLD.disposed_at)
        OR (OLD.status = 'integrity_failure' AND NEW.status <> OLD.status)
        OR (OLD.status = 'verified' AND NEW.status = 'pending')
    THEN
        RAISE EXCEPTION 'evidence bytes and hashes never change (item %)', OLD.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER evidence_item_immutable
    BEFORE UPDATE OR DELETE ON evidence_evidenceitem
    FOR EACH ROW EXECUTE FUNCTION evidence_item_immutable();
"""

DROP = """
DROP TRIGGER IF EXISTS evidence_item_immutable ON evidence_evidenceitem;
DROP FUNCTION IF EXISTS evidence_item_immutable();
DROP TRIGGER IF EXISTS evidence_custody_append_only ON evidence_custodyevent;
DROP FUNCTION IF EXISTS evidence_custody_append_only();
"""


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("evidence", "0001_initial")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
