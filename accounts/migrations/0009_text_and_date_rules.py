# Text and date rules (core.text, core.dates) as field classes: validation only, no SQL.

from django.db import migrations

import core.text


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0008_unique_email"),
    ]

    operations = [
        migrations.AlterField(
            model_name="apitoken",
            name="name",
            field=core.text.ShortTextField(max_length=100),
        ),
    ]
