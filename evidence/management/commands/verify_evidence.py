"""`manage.py verify_evidence`: re-hash all stored evidence now (CONTRACT.md).

Exit 0 and `OK <n> items` when every item's bytes still hash to what was recorded;
exit 1 listing those that do not. A change also turns the item to integrity_failure
and alerts the incident's crew and leads, as the periodic job does.
"""

from django.core.management.base import BaseCommand, CommandError

from evidence.verification import evidence_verify_all


class Command(BaseCommand):
    help = "Re-hash every stored evidence item; exit 1 listing those whose bytes changed."

    def handle(self, *args, **options):
        results = evidence_verify_all()
        failed = [result for result in results if not result.ok]
        for result in failed:
            self.stdout.write(f"FAILED {result.item_id}: {result.reason}")
        if failed:
            raise CommandError(
                f"{len(failed)} of {len(results)} evidence items do not match: "
                + " ".join(str(result.item_id) for result in failed),
                returncode=1,
            )
        self.stdout.write(f"OK {len(results)} items")
