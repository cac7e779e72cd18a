# Incidents and tasks are big tables: their new indexes are built without blocking
# writes on PostgreSQL (CREATE INDEX CONCURRENTLY, outside a transaction).

from django.db import migrations, models

from core.migrations_ops import AddIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("incidents", "0008_task_status_from_done"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="incident",
            index=models.Index(fields=["incident_type"], name="incidents_type_idx"),
        ),
    ]
