"""Showing a screenshot's preview is a custody event of its own, `previewed`."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("evidence", "0007_download_permission"),
    ]

    operations = [
        migrations.AlterField(
            model_name="custodyevent",
            name="action",
            field=models.CharField(
                choices=[
                    ("collected", "Collected"),
                    ("received", "Received"),
                    ("hashed", "Hashed"),
                    ("verified", "Verified"),
                    ("integrity_failure", "Integrity failure"),
                    ("viewed", "Viewed"),
                    ("previewed", "Previewed"),
                    ("downloaded", "Downloaded"),
                    ("exported", "Exported"),
                    ("transferred", "Transferred"),
                    ("re_verified", "Re-verified"),
                    ("disposed", "Disposed"),
                ],
                max_length=20,
            ),
        ),
    ]
