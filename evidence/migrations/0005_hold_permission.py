"""Leads set and lift legal holds on evidence."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {"lead": ["manage_legal_hold"]}


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
                content_type__app_label="evidence", codename="manage_legal_hold"
            )
        )


class Migration(migrations.Migration):
    dependencies = [("evidence", "0004_legal_hold")]

    operations = [migrations.RunPython(grant, revoke)]
