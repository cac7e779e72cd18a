"""Recording a hand-over of evidence has its own permission (evidence.transfer_evidence):
it was checked against the export permission, which auditors (read-only) and legal
hold too. Who holds it: accounts.roles.MATRIX (leads and responders)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("evidence", "0005_hold_permission")]

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
                ],
            },
        ),
    ]
