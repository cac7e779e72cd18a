"""Grant the incidents app's permissions to the role groups (created by accounts)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {
    "lead": [
        "add_incident",
        "change_incident",
        "view_incident",
        "view_all_incidents",
        "manage_crew",
        "add_timelineentry",
    ],
    "responder": ["add_incident", "change_incident", "view_incident", "add_timelineentry"],
    "manager": ["view_incident"],
    "legal": ["view_incident", "add_timelineentry"],
    "auditor": ["view_incident", "view_all_incidents"],
    "reporter": ["add_incident"],
}


def grant(apps, schema_editor):
    app_config = apps.get_app_config("incidents")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in GRANTS.items():
        Group.objects.get(name=role).permissions.add(
            *Permission.objects.filter(content_type__app_label="incidents", codename__in=codenames)
        )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name__in=GRANTS):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="incidents"))


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0001_initial"),
        ("accounts", "0002_roles"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
