"""Every permission of a person in one query.

Django's ModelBackend reads a person's permissions with two ORM queries (their own,
then their groups'), compiled again for every request, since every request loads its
user afresh: about 2 ms of a filing, the largest single cost after the notifications.
This backend reads both at once, with one statement written out here, and leaves the
answer where ModelBackend looks for it (`_perm_cache`), so whichever backend is asked
next answers from it without a query. It authenticates no one (sessions keep naming
ModelBackend), and gives the same answers: nothing for an inactive or anonymous person
or for object permissions, everything for a superuser (ModelBackend's own query).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection


def _sql() -> str:
    user = get_user_model()
    user_permissions = user.user_permissions.through._meta.db_table
    user_groups = user.groups.through._meta.db_table
    group_permissions = Group.permissions.through._meta.db_table
    return (
        f"SELECT ct.app_label, p.codename FROM {Permission._meta.db_table} p "  # noqa: S608
        f"JOIN {ContentType._meta.db_table} ct ON ct.id = p.content_type_id "
        f"WHERE p.id IN (SELECT permission_id FROM {user_permissions} WHERE user_id = %s "
        f"UNION SELECT gp.permission_id FROM {group_permissions} gp "
        f"JOIN {user_groups} ug ON ug.group_id = gp.group_id WHERE ug.user_id = %s)"
    )


class PermissionsInOneQuery(ModelBackend):
    _statement: str | None = None

    def authenticate(self, request, username=None, password=None, **kwargs):
        return None

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if user_obj.is_superuser:
            return super().get_all_permissions(user_obj, obj)
        if not hasattr(user_obj, "_perm_cache"):
            if PermissionsInOneQuery._statement is None:
                PermissionsInOneQuery._statement = _sql()
            with connection.cursor() as cursor:
                cursor.execute(PermissionsInOneQuery._statement, [user_obj.pk, user_obj.pk])
                user_obj._perm_cache = {f"{app}.{codename}" for app, codename in cursor}
        return user_obj._perm_cache
