"""Who may read what the dashboard offers beyond the home page: the one place where
these rules are stated (views and tests use these functions, nothing else)."""

from accounts.roles import Role

# The full incident report gathers evidence hashes and custody, every disclosure
# version with its approval trail, and the review: for the people who answer for
# the incident as a whole (leads), approve what goes out (managers), weigh it
# legally (legal) and check it afterwards (auditors). Responders work inside the
# incident's own pages; reporters see only what they filed.
INCIDENT_REPORT_ROLES = (Role.LEAD, Role.MANAGER, Role.LEGAL, Role.AUDITOR)


def may_read_metrics(user) -> bool:
    """Metrics over the incidents one may see: every CSIRT role that reads incidents
    (incidents.view_incident), not reporters."""
    return user.is_authenticated and user.is_active and user.has_perm("incidents.view_incident")


def may_generate_incident_report(user) -> bool:
    """The incident report: leads, managers, legal and auditors (a role check; the
    incident itself must still be visible to them, or it is 404)."""
    if not (user.is_authenticated and user.is_active):
        return False
    return user.is_superuser or user.has_role(*INCIDENT_REPORT_ROLES)
