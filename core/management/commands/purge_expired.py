"""`manage.py purge_expired`: every app's purge of bookkeeping rows, now.

Beat runs the same purges nightly (each app's `<app>_purge_expired` task); this is for
operators who want the space back at once. Prints what each app deleted, by kind.
"""

from django.core.management.base import BaseCommand

from core import housekeeping


class Command(BaseCommand):
    help = "Delete bookkeeping rows past their retention now (beat does it nightly)."

    def handle(self, *args, **options):
        for label, purge_expired in sorted(housekeeping.registered().items()):
            counts = purge_expired()
            summary = ", ".join(f"{kind} {count}" for kind, count in counts.items())
            self.stdout.write(f"{label}: {summary}")
