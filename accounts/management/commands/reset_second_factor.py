"""`manage.py reset_second_factor USERNAME`: the operator's second-factor reset.

For the case no lead can help: the only lead lost every factor. Does what a lead's
reset does (accounts.recovery.factor_reset_issue): removes the person's devices, ends
their sessions and API tokens, and e-mails a one-time link; the link is printed too,
alone on the last line, for when mail does not reach them. Audited with no actor.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.recovery import factor_reset_issue
from notifications.messages import absolute_url


class Command(BaseCommand):
    help = "Reset a person's second factor and print a one-time link to enrol a new one."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No person named {username!r}.")
        try:
            reset, raw = factor_reset_issue(actor=None, user=user)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(
            f"Second factor of {username} reset: devices removed, sessions and API tokens "
            f"ended. The link works once, until {reset.expires_at:%Y-%m-%d %H:%M} UTC, and "
            "is shown only now:"
        )
        self.stdout.write(absolute_url("accounts:factor_reset", token=raw))
