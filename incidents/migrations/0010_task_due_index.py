# Incidents and tasks are big tables: their new indexes are built without blocking
# writes on PostgreSQL (CREATE INDEX CONCURRENTLY, outside a transaction).

from django.db import migrations, models

from core.migrations_ops import AddIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("incidents", "0009_incident_type_index"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="task",
            index=models.Index(fields=["status", "due_at"], name="incidents_task_open_due_idx"),
        ),
    ]
