# One address, one person in the database too (lower-cased, non-empty). The people table
# is small (a CSIRT and its reporters), so a plain unique index builds in a moment.

import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_factor_reset"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("email"),
                condition=models.Q(("email", ""), _negated=True),
                name="accounts_user_unique_email",
                violation_error_message="Another person already uses this e-mail address.",
            ),
        ),
    ]
