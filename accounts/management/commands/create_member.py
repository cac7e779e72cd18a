"""`manage.py create_member USERNAME --role ROLE [--email E] [--password-stdin]`."""

import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.roles import Role
from accounts.services import generate_one_time_password, member_save


class Command(BaseCommand):
    help = "Create a person with a role, or update the role, e-mail and password of one."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--email")
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help="Read the password from the first line of standard input.",
        )

    def handle(self, *args, username, role, email, password_stdin, **options):
        password = None
        one_time = False
        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
            if not password:
                raise CommandError("No password on standard input.")
        try:
            from accounts.models import User

            if password is None and not User.objects.filter(username=username).exists():
                password, one_time = generate_one_time_password(), True
            user, created = member_save(
                actor=None,
                username=username,
                role=role,
                email=email,
                password=password,
                must_change_password=one_time,
            )
        except ValidationError as error:
            messages = [f"{field}: {msg}" for field, msgs in _errors(error) for msg in msgs]
            raise CommandError("; ".join(messages)) from error
        verb = "Created" if created else "Updated"
        self.stdout.write(f"{verb} {user.get_username()} with role {role}.")
        if one_time:
            self.stdout.write(f"One-time password (must be changed at first login): {password}")


def _errors(error: ValidationError):
    if hasattr(error, "error_dict"):
        return error.message_dict.items()
    return [("password", error.messages)]
