"""`manage.py verify_audit_chain [--heads FILE]`: prove no audit event was changed,
deleted, inserted or reordered (the hash chain, in log order, and the Merkle root
recomputed from every event's content against every signed checkpoint), that the log
still holds every event an earlier verification vouched for (so a log cut short or
emptied fails), and (with --heads) that no signed chain head was cut off or rewritten."""

from contextlib import nullcontext

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from audit.chainhead import ChainHeadError, verify_heads
from audit.sequencer import sequence_pending
from audit.services import verify_against_checkpoints, verify_chain


class Command(BaseCommand):
    help = (
        "Walk the audit hash chain and hold it against the checkpoints of earlier "
        "verifications; exit 1 with the first bad (or missing) event id if it is broken. "
        "With --heads, also check every signed head exported to that file."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--heads",
            metavar="FILE",
            help="A chain head file (AUDIT_CHAIN_HEAD_FILE): each signed head must still be "
            "in the chain with the same hash, so a truncated or rewritten tail fails.",
        )

    def handle(self, *args, heads=None, **options):
        # Every committed event first gets its position (another sequencer at work makes
        # this a no-op), so the count covers the whole log.
        sequence_pending()
        # On PostgreSQL, inside a transaction the walk's server-side cursor streams rows
        # while they are hashed; outside one, the server first copies the whole result
        # to a temporary file (WITH HOLD). SQLite's transactions here take the write
        # lock (IMMEDIATE), so there the walk stays outside one.
        streaming = connection.vendor == "postgresql"
        with transaction.atomic() if streaming else nullcontext():
            report = verify_chain()
        # What is left of a log cut short still links up: the checkpoints tell.
        report = verify_against_checkpoints(report)
        if not report.ok:
            self.stderr.write(f"BROKEN at event {report.first_bad_id}: {report.reason}")
            self.stdout.write(f"BROKEN {report.first_bad_id}")
            raise CommandError(
                f"audit chain broken at event {report.first_bad_id}: {report.reason}",
                returncode=1,
            )
        heads_checked = None
        if heads is not None:
            try:
                result = verify_heads(heads)
            except ChainHeadError as error:
                raise CommandError(str(error), returncode=1) from error
            if not result.ok:
                # Nothing is reported OK first: a head that is gone means the log is not.
                where = f"{heads} line {result.line}"
                self.stderr.write(f"BROKEN HEAD at {where}: {result.reason}")
                self.stdout.write(f"BROKEN HEAD {result.head_id if result.head_id else '-'}")
                raise CommandError(
                    f"chain head check failed at {where}: {result.reason}", returncode=1
                )
            heads_checked = result.checked
        self.stdout.write(f"OK {report.checked} events")
        if heads_checked is not None:
            self.stdout.write(f"OK {heads_checked} signed heads")
