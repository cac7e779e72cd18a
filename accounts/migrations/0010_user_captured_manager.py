# The user manager builds core.capture's captured queryset, so bulk writes of people
# reach the audit log: migration state only, no SQL.

from django.db import migrations

import accounts.models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0009_text_and_date_rules"),
    ]

    operations = [
        migrations.AlterModelManagers(
            name="user",
            managers=[
                ("objects", accounts.models.CapturedUserManager()),
            ],
        ),
    ]
