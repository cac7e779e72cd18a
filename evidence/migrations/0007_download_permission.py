"""Least privilege on evidence (evidence.selectors states the rule): the bytes of an
item (download, preview, export) need evidence.download_evidence, which managers do
not hold; who holds it and view_evidenceitem: accounts.roles.MATRIX."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("evidence", "0006_transfer_permission")]

    operations = [
        migrations.AlterModelOptions(
            name="evidenceitem",
            options={
                "base_manager_name": "objects",
                "ordering": ["-id"],
                "permissions": [
                    ("export_evidence", "Can export an incident's evidence package"),
                    ("dispose_evidence", "Can dispose of evidence bytes"),
                    ("transfer_evidence", "Can record a hand-over of evidence outside Cordon"),
                    (
                        "download_evidence",
                        "Can download, preview and export the bytes of evidence",
                    ),
                ],
            },
        ),
    ]
