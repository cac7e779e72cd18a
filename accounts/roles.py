"""The six CSIRT roles and what each may do: one table, applied in one place.

Each role is a Django group of the same name. `MATRIX` below is the whole answer to
"what can a responder do?": every permission a role holds, and nothing else. After
every `migrate` (and every flush of a test database) `apply_matrix` makes the groups
hold exactly what the table says, granting what is missing and taking back what is
not listed. The data migrations that granted permissions before this table existed
are history: the table overrides them.

Permissions are named as strings (`app_label.codename`), so this module imports no
app above accounts. Need-to-know (which incidents a person sees) is not a permission:
`incidents.selectors.visible_incidents` decides it, whatever the role.
"""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    LEAD = "lead", "Lead"
    RESPONDER = "responder", "Responder"
    MANAGER = "manager", "Manager"
    LEGAL = "legal", "Legal"
    AUDITOR = "auditor", "Auditor"
    REPORTER = "reporter", "Reporter"


ROLE_NAMES = frozenset(Role.values)

L, R, M, G, A, P = (
    Role.LEAD,
    Role.RESPONDER,
    Role.MANAGER,
    Role.LEGAL,
    Role.AUDITOR,
    Role.REPORTER,
)

# (permission, what it allows, roles that hold it)
MATRIX: tuple[tuple[str, str, frozenset[Role]], ...] = tuple(
    (permission, meaning, frozenset(roles))
    for permission, meaning, roles in (
        # People and tokens
        ("accounts.add_user", "invite and create members", {L}),
        ("accounts.change_user", "change a member's role, deactivate, reset", {L}),
        ("accounts.view_user", "see the member list", {L, A}),
        ("accounts.view_apitoken", "see every person's API tokens", {L, A}),
        ("accounts.change_apitoken", "revoke another person's API token", {L}),
        # The audit log
        ("audit.view_auditevent", "read and export the audit log", {L, A}),
        # Incidents
        ("incidents.add_incident", "file an incident", {L, R, P}),
        ("incidents.change_incident", "work on an incident (status, systems, tasks)", {L, R}),
        ("incidents.view_incident", "see incidents (within need-to-know)", {L, R, M, G, A}),
        ("incidents.view_all_incidents", "see every incident, restricted ones too", {L, A}),
        ("incidents.manage_crew", "add and remove crew members", {L}),
        ("incidents.add_timelineentry", "add timeline entries", {L, R, G}),
        ("incidents.view_incidenttype", "see and export incident types", {L, R, M, G, A}),
        ("incidents.add_incidenttype", "define and import incident types", {L}),
        ("incidents.change_incidenttype", "edit and retire incident types", {L}),
        ("incidents.add_tag", "add tags to the managed list", {L}),
        ("incidents.change_tag", "change a managed tag's colour", {L}),
        ("incidents.delete_tag", "take a tag off the managed list", {L}),
        # Evidence
        ("evidence.add_evidenceitem", "upload evidence", {L, R, P}),
        ("evidence.view_evidenceitem", "see every item of a visible incident", {L, R, M, G, A}),
        (
            "evidence.download_evidence",
            "the bytes (reporters: of their own uploads)",
            {L, R, G, A, P},
        ),
        ("evidence.export_evidence", "export an incident's evidence package", {L, R, G, A}),
        ("evidence.transfer_evidence", "record a hand-over of evidence", {L, R}),
        ("evidence.dispose_evidence", "dispose of evidence bytes", {L}),
        ("evidence.manage_legal_hold", "set and lift a legal hold", {L}),
        # Observables (indicators); correlation only ever within need-to-know
        (
            "observables.view_observable",
            "see observables and correlations (within need-to-know)",
            {L, R, M, G, A},
        ),
        (
            "observables.add_observable",
            "add observables (reporters: to what they filed; they see only their own)",
            {L, R, P},
        ),
        ("observables.change_observable", "edit observables, mark them IOC or sighted", {L, R}),
        ("observables.delete_observable", "delete an observable, with a reason", {L, R}),
        (
            "observables.view_incidenttechnique",
            "see an incident's ATT&CK techniques",
            {L, R, M, G, A},
        ),
        ("observables.add_incidenttechnique", "add ATT&CK techniques to an incident", {L, R}),
        (
            "observables.delete_incidenttechnique",
            "remove an ATT&CK technique from an incident",
            {L, R},
        ),
        # Intake (alerts); reporters send alerts and see only their own
        ("intake.add_alert", "send alerts (reporters see only their own)", {L, R, P}),
        ("intake.view_alert", "see the alert queue", {L, R}),
        ("intake.change_alert", "triage alerts: acknowledge, ignore, escalate, merge", {L, R}),
        ("intake.view_suppressionrule", "see suppression rules", {L, R}),
        ("intake.add_suppressionrule", "add suppression rules", {L}),
        ("intake.change_suppressionrule", "end suppression rules", {L}),
        # Disclosures
        ("disclosures.add_disclosure", "draft a disclosure", {L, R, G}),
        ("disclosures.change_disclosure", "edit and submit a disclosure", {L, R, G}),
        ("disclosures.view_disclosure", "read disclosures", {L, R, M, G, A}),
        ("disclosures.approve_disclosure", "approve a disclosure as management", {M}),
        ("disclosures.approve_disclosure_legal", "approve a disclosure as legal", {G}),
        ("disclosures.publish_disclosure", "record that a disclosure went out", {L, M}),
        ("disclosures.view_disclosuretemplate", "see disclosure templates", {L}),
        ("disclosures.add_disclosuretemplate", "add disclosure templates", {L}),
        ("disclosures.change_disclosuretemplate", "change disclosure templates", {L}),
    )
)


def permissions_of(role: str) -> frozenset[str]:
    """Every permission the role holds, as `app_label.codename`."""
    return frozenset(permission for permission, _, roles in MATRIX if role in roles)


def matrix_markdown() -> str:
    """The table as README shows it (a test keeps README and this table the same)."""
    roles = list(Role)
    lines = [
        "| permission | allows | " + " | ".join(role.value for role in roles) + " |",
        "|---|---|" + "---|" * len(roles),
    ]
    for permission, meaning, holders in MATRIX:
        marks = " | ".join("✓" if role in holders else "" for role in roles)
        lines.append(f"| `{permission}` | {meaning} | {marks} |")
    return "\n".join(lines)


def apply_matrix(*, using: str = "default") -> None:
    """Make every role group hold exactly the permissions of MATRIX.

    Run after migrate by the post_migrate handler (accounts/apps.py), when every
    app's permissions exist. A permission named here that no app declares is an
    error, not a silent gap.
    """
    from django.contrib.auth.models import Group, Permission

    wanted = {permission for permission, _, _ in MATRIX}
    found = {}
    for permission in Permission.objects.using(using).select_related("content_type"):
        key = f"{permission.content_type.app_label}.{permission.codename}"
        if key in wanted:
            found[key] = permission
    missing = sorted(wanted - found.keys())
    if missing:
        raise LookupError(f"the role matrix names permissions no app declares: {missing}")
    for role in Role:
        group, _ = Group.objects.using(using).get_or_create(name=role.value)
        group.permissions.set([found[key] for key in permissions_of(role)])
