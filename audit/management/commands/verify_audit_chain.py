"""`manage.py verify_audit_chain`: prove no audit event was changed, deleted or inserted."""

from django.core.management.base import BaseCommand, CommandError

from audit.services import verify_chain


class Command(BaseCommand):
    help = "Walk the audit hash chain; exit 1 with the first bad event id if it is broken."

    def handle(self, *args, **options):
        report = verify_chain()
        if not report.ok:
            self.stderr.write(f"BROKEN at event {report.first_bad_id}: {report.reason}")
            self.stdout.write(f"BROKEN {report.first_bad_id}")
            raise CommandError(f"audit chain broken at event {report.first_bad_id}", returncode=1)
        self.stdout.write(f"OK {report.checked} events")
