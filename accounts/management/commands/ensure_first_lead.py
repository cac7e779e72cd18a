"""`manage.py ensure_first_lead`: on a fresh install, create the first lead (one-time password)."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.services import first_lead_ensure


class Command(BaseCommand):
    help = "Create the first lead account when there is none, printing its one-time password."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="lead")

    def handle(self, *args, username, **options):
        try:
            result = first_lead_ensure(username=username)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        if result is None:
            self.stdout.write("A lead account already exists; nothing to do.")
            return
        user, password = result
        bar = "=" * 64
        self.stdout.write(
            f"{bar}\nFirst lead account created.\n  user name: {user.get_username()}\n"
            f"  password:  {password}\n"
            f"This password works once: you must change it at first login.\n{bar}"
        )
