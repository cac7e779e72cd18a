"""Grant the evidence app's permissions to the role groups (created by accounts).

Seeing evidence follows seeing its incident (need-to-know); these say who may add it,
export an incident's package, and dispose of bytes."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {
    "lead": ["add_evidenceitem", "export_evidence", "dispose_evidence"],
    "responder": ["add_evidenceitem", "export_evidence"],
    "legal": ["export_evidence"],
    "auditor": ["export_evidence"],
    "reporter": ["add_evidenceitem"],
}


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
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="evidence"))


class Migration(migrations.Migration):
    dependencies = [
        ("evidence", "0002_immutable_trigger"),
        ("accounts", "0002_roles"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
