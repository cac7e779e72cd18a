"""Grant the disclosures app's permissions to the role groups (created by accounts).

Responders and leads draft; legal drafts and may give the legal approval; managers
approve; leads and managers record publication; leads keep the templates.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {
    "lead": [
        "add_disclosure",
        "change_disclosure",
        "view_disclosure",
        "publish_disclosure",
        "view_disclosuretemplate",
        "add_disclosuretemplate",
        "change_disclosuretemplate",
    ],
    "responder": ["add_disclosure", "change_disclosure", "view_disclosure"],
    "manager": ["view_disclosure", "approve_disclosure", "publish_disclosure"],
    "legal": ["add_disclosure", "change_disclosure", "view_disclosure", "approve_disclosure_legal"],
    "auditor": ["view_disclosure"],
    "reporter": [],
}


def grant(apps, schema_editor):
    app_config = apps.get_app_config("disclosures")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in GRANTS.items():
        Group.objects.get(name=role).permissions.add(
            *Permission.objects.filter(
                content_type__app_label="disclosures", codename__in=codenames
            )
        )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name__in=GRANTS):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="disclosures"))


class Migration(migrations.Migration):
    dependencies = [
        ("disclosures", "0002_immutable_records"),
        ("accounts", "0002_roles"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
