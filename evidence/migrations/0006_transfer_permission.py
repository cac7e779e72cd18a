"""Recording a hand-over of evidence has its own permission, held by leads and
responders: it was checked against the export permission, which auditors (read-only)
and legal hold too, so they could write `transferred` custody events."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {"lead": ["transfer_evidence"], "responder": ["transfer_evidence"]}


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
            *Permission.objects.filter(
                content_type__app_label="evidence", codename="transfer_evidence"
            )
        )


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
        migrations.RunPython(grant, revoke),
    ]
