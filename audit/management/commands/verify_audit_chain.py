"""`manage.py verify_audit_chain [--heads FILE]`: prove no audit event was changed,
deleted or inserted, and (with --heads) that no signed chain head was cut off or rewritten."""

from contextlib import nullcontext

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from audit.chainhead import ChainHeadError, verify_heads
from audit.services import verify_chain


class Command(BaseCommand):
    help = (
        "Walk the audit hash chain; exit 1 with the first bad event id if it is broken. "
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
        # On PostgreSQL, inside a transaction the walk's server-side cursor streams rows
        # while they are hashed; outside one, the server first copies the whole result
        # to a temporary file (WITH HOLD). SQLite's transactions here take the write
        # lock (IMMEDIATE), so there the walk stays outside one.
        streaming = connection.vendor == "postgresql"
        with transaction.atomic() if streaming else nullcontext():
            report = verify_chain()
        if not report.ok:
            self.stderr.write(f"BROKEN at event {report.first_bad_id}: {report.reason}")
            self.stdout.write(f"BROKEN {report.first_bad_id}")
            raise CommandError(f"audit chain broken at event {report.first_bad_id}", returncode=1)
        self.stdout.write(f"OK {report.checked} events")
        if heads is None:
            return
        try:
            result = verify_heads(heads)
        except ChainHeadError as error:
            raise CommandError(str(error), returncode=1) from error
        if not result.ok:
            where = f"{heads} line {result.line}"
            self.stderr.write(f"BROKEN HEAD at {where}: {result.reason}")
            self.stdout.write(f"BROKEN HEAD {result.head_id if result.head_id else '-'}")
            raise CommandError(f"chain head check failed at {where}: {result.reason}", returncode=1)
        self.stdout.write(f"OK {result.checked} signed heads")
