"""The dashboard's one write: the audit record that someone generated an incident report.

Reading the report is a read, but the report gathers an incident's evidence hashes,
custody, disclosures and approvals in one printable document, so who produced it
and when belongs in the tamper-evident log.
"""

from django.db import transaction

import audit
from incidents.models import Incident


@transaction.atomic
def incident_report_generated(*, incident: Incident, actor, sections: dict[str, int]) -> None:
    """Record `incident.report_generated` with how many rows of each section it held."""
    audit.record(
        "incident.report_generated",
        actor=actor,
        target=incident,
        data={"reference": incident.reference, "sections": sections},
    )
