"""`manage.py issue_api_token USERNAME --scope S [--scope S…] [--expires-days N]`."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.scopes import Scope
from accounts.services import DEFAULT_TOKEN_LIFETIME_DAYS, api_token_issue


class Command(BaseCommand):
    help = "Issue an API token, printed alone on the last line; only its hash is kept."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--scope", action="append", required=True, choices=Scope.values)
        parser.add_argument("--expires-days", type=int, default=DEFAULT_TOKEN_LIFETIME_DAYS)
        parser.add_argument("--name", default="issued from the command line")

    def handle(self, *args, username, scope, expires_days, name, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No person named {username!r}.")
        try:
            token, raw = api_token_issue(
                actor=None, user=user, name=name, scopes=scope, expires_days=expires_days
            )
        except ValidationError as error:
            raise CommandError(_explain(error)) from error
        self.stdout.write(
            f"Token {token.prefix}… for {username}, scopes {' '.join(token.scopes)}, "
            f"expires {token.expires_at:%Y-%m-%d %H:%M} UTC. It is shown only now:"
        )
        self.stdout.write(raw)


def _explain(error: ValidationError) -> str:
    """The refusal, each message after the name of the option it is about."""
    if not hasattr(error, "error_dict"):
        return "; ".join(error.messages)
    return "; ".join(
        f"{field}: {message}"
        for field, messages in error.message_dict.items()
        for message in messages
    )
