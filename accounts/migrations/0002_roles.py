"""The six roles as groups, with the permissions of the accounts and audit apps.

Each app grants its own permissions to these groups in its own data migration.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLES = ("lead", "responder", "manager", "legal", "auditor", "reporter")

GRANTS = {
    "accounts": {
        "lead": ["add_user", "change_user", "view_user", "view_apitoken", "change_apitoken"],
        "auditor": ["view_user", "view_apitoken"],
    },
    "audit": {
        "lead": ["view_auditevent"],
        "auditor": ["view_auditevent"],
    },
}


def _ensure_permissions(apps, app_label):
    app_config = apps.get_app_config(app_label)
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None


def create_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role in ROLES:
        Group.objects.get_or_create(name=role)
    for app_label, grants in GRANTS.items():
        _ensure_permissions(apps, app_label)
        for role, codenames in grants.items():
            Group.objects.get(name=role).permissions.add(
                *Permission.objects.filter(
                    content_type__app_label=app_label, codename__in=codenames
                )
            )


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("audit", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
