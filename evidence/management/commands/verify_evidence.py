"""`manage.py verify_evidence`: re-hash all stored evidence now (CONTRACT.md).

Exit 0 and `OK <n> items` when every item's bytes still hash to what was recorded;
exit 1 listing those that do not. A change also turns the item to integrity_failure
and alerts the incident's crew and leads, as the periodic job does.

`--orphans` looks the other way instead (and hashes nothing): the objects in the store
that no kept item refers to, older than `--older-than` seconds (an hour by default).
Exit 0 and `OK no orphans`; exit 1 with one `ORPHAN <key> <last written> <why>` line
each. It removes nothing.
"""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from evidence.verification import ORPHAN_GRACE, evidence_orphans, evidence_verify_all


class Command(BaseCommand):
    help = "Re-hash every stored evidence item; exit 1 listing those whose bytes changed."

    def add_arguments(self, parser):
        parser.add_argument(
            "--orphans",
            action="store_true",
            help="List stored objects no kept item refers to (hashes nothing, removes nothing).",
        )
        parser.add_argument(
            "--older-than",
            type=int,
            default=int(ORPHAN_GRACE.total_seconds()),
            metavar="SECONDS",
            help="With --orphans: only objects last written longer ago than this.",
        )

    def handle(self, *args, **options):
        if options["orphans"]:
            return self._orphans(older_than=timedelta(seconds=max(0, options["older_than"])))
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

    def _orphans(self, *, older_than: timedelta) -> None:
        found = 0
        for orphan in evidence_orphans(older_than=older_than):
            found += 1
            modified = orphan.modified.isoformat(timespec="seconds")
            self.stdout.write(f"ORPHAN {orphan.key} {modified} {orphan.reason}")
        if found:
            raise CommandError(
                f"{found} stored objects are not referenced by a kept evidence item.",
                returncode=1,
            )
        self.stdout.write("OK no orphans")
