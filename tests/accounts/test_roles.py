"""The role matrix: one table says what each role may do, and the groups hold exactly that."""

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from accounts import roles
from accounts.roles import MATRIX, Role, apply_matrix, matrix_markdown, permissions_of

pytestmark = pytest.mark.django_db

README = Path(__file__).resolve().parents[2] / "README.md"


def _held(role: str) -> set[str]:
    group = Group.objects.get(name=role)
    return {
        f"{permission.content_type.app_label}.{permission.codename}"
        for permission in group.permissions.select_related("content_type")
    }


@pytest.mark.parametrize("role", list(Role))
def test_after_migrate_each_group_holds_exactly_its_row_of_the_matrix(role):
    assert _held(role) == set(permissions_of(role))


def test_a_permission_granted_by_hand_is_taken_back_and_a_missing_one_restored():
    auditor = Group.objects.get(name=Role.AUDITOR)
    auditor.permissions.add(Permission.objects.get(codename="dispose_evidence"))
    auditor.permissions.remove(Permission.objects.get(codename="view_auditevent"))
    apply_matrix()
    assert _held(Role.AUDITOR) == set(permissions_of(Role.AUDITOR))
    assert "evidence.dispose_evidence" not in _held(Role.AUDITOR)


def test_migrate_applies_the_matrix_again():
    Group.objects.get(name=Role.MANAGER).permissions.clear()
    call_command("migrate", verbosity=0)
    assert _held(Role.MANAGER) == set(permissions_of(Role.MANAGER))


def test_a_permission_no_app_declares_is_an_error_not_a_silent_gap(monkeypatch):
    bogus = (*MATRIX, ("incidents.fly_to_the_moon", "nothing", frozenset({Role.LEAD})))
    monkeypatch.setattr(roles, "MATRIX", bogus)
    with pytest.raises(LookupError, match="fly_to_the_moon"):
        apply_matrix()


def test_auditors_hold_no_permission_to_write():
    writes = {p for p in permissions_of(Role.AUDITOR) if re.search(r"\.(add|change|delete)_", p)}
    assert writes == set()


def test_readme_shows_the_matrix_as_it_is():
    text = README.read_text()
    shown = text.split("<!-- role-matrix:start -->")[1].split("<!-- role-matrix:end -->")[0]
    assert shown.strip() == matrix_markdown().strip()
