# The incidents table is big: the partial index for the beat sweep is built without
# blocking writes on PostgreSQL (CREATE INDEX CONCURRENTLY, outside a transaction).

from django.db import migrations, models

from core.migrations_ops import AddIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("incidents", "0013_leads_notice_owed"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="incident",
            index=models.Index(
                condition=models.Q(("leads_notice_owed", True)),
                fields=["id"],
                name="incidents_notice_owed_idx",
            ),
        ),
    ]
