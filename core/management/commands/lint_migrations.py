"""`manage.py lint_migrations [APP ...]`: the migration linter (core/migration_lint.py)
over the migrations of Cordon's own apps, without a database. Exit 1 on any error or
on a baseline entry that matches nothing any more; warnings are printed only."""

from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db.migrations.loader import MigrationLoader

from core import migration_lint


def _own_app_labels() -> list[str]:
    """Apps whose code lives in this repository (not in a virtualenv)."""
    root = Path(settings.BASE_DIR).resolve()
    labels = []
    for config in apps.get_app_configs():
        path = Path(config.path).resolve()
        if path.is_relative_to(root) and "site-packages" not in path.parts:
            labels.append(config.label)
    return labels


class Command(BaseCommand):
    help = "Refuse migrations that would lock a big table or cannot be undone."
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("app_labels", nargs="*", help="only these apps (default: ours)")
        parser.add_argument(
            "--baseline",
            type=Path,
            default=migration_lint.BASELINE_PATH,
            help="shipped migrations allowed to break a rule (default: %(default)s)",
        )

    def handle(self, *args, app_labels, baseline, **options):
        labels = list(app_labels) or _own_app_labels()
        loader = MigrationLoader(None, ignore_no_migrations=True)
        findings, count = migration_lint.lint_loader(loader, labels)
        verdict = migration_lint.judge(findings, migration_lint.read_baseline(baseline))
        if app_labels:  # a partial run cannot tell a stale entry of another app
            verdict.stale = [e for e in verdict.stale if e.split(".", 1)[0] in labels]

        for finding in verdict.warnings:
            self.stderr.write(str(finding))
        for finding in verdict.errors:
            self.stderr.write(str(finding))
        for entry in verdict.stale:
            self.stderr.write(
                f"error {entry}: listed in the baseline but no longer found; remove it "
                f"from {baseline.name}"
            )
        errors = len(verdict.errors) + len(verdict.stale)
        summary = (
            f"lint_migrations: {count} migrations in {len(labels)} apps; {errors} errors, "
            f"{len(verdict.warnings)} warnings, {len(verdict.baselined)} in shipped migrations "
            f"(baseline)"
        )
        if errors:
            raise CommandError(summary)
        self.stdout.write(summary)
