"""Least privilege on evidence (evidence.selectors states the rule).

`view_evidenceitem`: every item of the incidents one sees; without it (reporters),
only one's own uploads. `download_evidence`: the bytes (download, preview, export):
not managers, who approve disclosures from the record and hashes. Auditors keep the
bytes: checking that evidence is intact (the export package, `sha256sum -c`) needs
them, and reading them is recorded in the chain of custody. Reporters have the bytes
of what they uploaded themselves, the only items they see."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {
    "lead": ["view_evidenceitem", "download_evidence"],
    "responder": ["view_evidenceitem", "download_evidence"],
    "legal": ["view_evidenceitem", "download_evidence"],
    "auditor": ["view_evidenceitem", "download_evidence"],
    "manager": ["view_evidenceitem"],
    "reporter": ["download_evidence"],
}
CODENAMES = ["view_evidenceitem", "download_evidence"]


def grant(apps, schema_editor):
    app_config = apps.get_app_config("evidence")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in GRANTS.items():
        Group.objects.get(name=role).permissions.add(
            *Permission.objects.filter(content_type__app_label="evidence", codename__in=codenames)
        )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name__in=GRANTS):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="evidence", codename__in=CODENAMES)
        )


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
        migrations.RunPython(grant, revoke),
    ]
