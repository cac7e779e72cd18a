# Text and date rules (core.text, core.dates) as field classes: validation only, no SQL.

from django.db import migrations, models

import core.dates
import core.text


class Migration(migrations.Migration):
    dependencies = [
        ("evidence", "0009_refuse_truncate"),
    ]

    operations = [
        migrations.AlterField(
            model_name="evidenceitem",
            name="collected_at",
            field=models.DateTimeField(
                blank=True, null=True, validators=[core.dates.validate_event_time]
            ),
        ),
        migrations.AlterField(
            model_name="evidenceitem",
            name="description",
            field=core.text.MultilineTextField(blank=True),
        ),
        migrations.AlterField(
            model_name="evidenceitem",
            name="source_host",
            field=core.text.ShortTextField(blank=True, max_length=255),
        ),
    ]
