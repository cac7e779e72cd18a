"""`manage.py export_audit_proof --incident REF [--out FILE]`: the incident's audit events
with their inclusion proofs against one signed checkpoint, the checkpoint and the public
key, as a zip that `cordon audit verify FILE` checks offline."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

import audit
from audit.bundle import BundleNotReady
from dashboard.proof_bundle import incident_bundle
from incidents.models import Incident


class Command(BaseCommand):
    help = "Write the offline proof bundle of one incident's audit events."

    def add_arguments(self, parser):
        parser.add_argument("--incident", required=True, metavar="REF", help="INC-… or id")
        parser.add_argument("--out", metavar="FILE", help="default: audit-proof-REF.zip")

    def handle(self, *args, incident, out=None, **options):
        ref = incident.strip()
        found = Incident.objects.filter(pk=int(ref)) if ref.isdigit() else None
        found = found or Incident.objects.filter(reference__iexact=ref)
        subject = found.first()
        if subject is None:
            raise CommandError(f"no incident {ref}")
        try:
            data, checkpoint, count = incident_bundle(subject)
        except BundleNotReady as error:
            raise CommandError(str(error)) from error
        path = Path(out or f"audit-proof-{subject.reference}.zip")
        path.write_bytes(data)
        audit.record(
            "audit.proof_exported",
            target=subject,
            data={"events": count, "tree_size": checkpoint.tree_size, "via": "command"},
        )
        self.stdout.write(
            f"{path}: {count} events of {subject.reference}, proved against the checkpoint "
            f"of {checkpoint.tree_size} events"
        )
