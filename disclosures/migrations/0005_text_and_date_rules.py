# Text and date rules (core.text, core.dates) as field classes: validation only, no SQL.

from django.db import migrations, models

import core.dates
import core.text


class Migration(migrations.Migration):
    dependencies = [
        ("disclosures", "0004_refuse_truncate"),
    ]

    operations = [
        migrations.AlterField(
            model_name="disclosure",
            name="late_reason",
            field=core.text.MultilineTextField(
                blank=True, help_text="Why the notice went out after its legal deadline."
            ),
        ),
        migrations.AlterField(
            model_name="disclosure",
            name="materiality_determined_at",
            field=models.DateTimeField(
                blank=True,
                help_text="SEC: when the incident was determined to be material (starts the 8-K clock).",
                null=True,
                validators=[core.dates.validate_event_time],
            ),
        ),
        migrations.AlterField(
            model_name="publication",
            name="channel",
            field=core.text.ShortTextField(help_text="One line: how it went out.", max_length=200),
        ),
        migrations.AlterField(
            model_name="publication",
            name="recipients",
            field=core.text.MultilineTextField(),
        ),
    ]
