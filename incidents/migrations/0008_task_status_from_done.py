"""Carry the old done flag of tasks into their status. (The built-in incident types
are installed after migrate by incidents.apps, so that a flushed test database gets
them again too.)"""

from django.db import migrations


def carry_done(apps, schema_editor):
    Task = apps.get_model("incidents", "Task")
    Task.objects.filter(done=True).update(status="done")


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0007_incident_types_tags_tasks"),
    ]

    operations = [migrations.RunPython(carry_done, migrations.RunPython.noop)]
