"""People, their API tokens, and the record that makes API retries safe."""

import hashlib
from typing import ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.sessions.base_session import AbstractBaseSession
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.functional import cached_property

from accounts.roles import ROLE_NAMES
from core.capture import CapturedModel, CapturedQuerySet
from core.text import ShortTextField

TOKEN_PREFIX = "cdn_"  # noqa: S105 - a public marker, not a secret


class CapturedUserManager(UserManager.from_queryset(CapturedQuerySet)):  # type: ignore[misc]
    """Django's user manager (create_user, create_superuser) over the captured queryset."""


class User(CapturedModel, AbstractUser):
    """A person who signs in to Cordon: CSIRT member, manager, auditor or reporter.

    The role is membership of one of the role groups (accounts.roles.Role).
    """

    must_change_password = models.BooleanField(
        default=False, help_text="Set for one-time passwords; cleared by a password change."
    )
    email_verified_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the person proved they read mail at `email` (a link sent there).",
    )
    email_link_sent_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When the newest verification link was sent: older links die with it.",
    )

    # The stubs declare AbstractUser's manager a ClassVar and CapturedModel's is not.
    objects: ClassVar[CapturedUserManager] = CapturedUserManager()  # type: ignore[misc]

    class Meta(AbstractUser.Meta):
        constraints = [
            # One address, one person (a password-reset link must reach exactly one
            # account), whatever the case, and also when two requests race.
            models.UniqueConstraint(
                Lower("email"),
                condition=~Q(email=""),
                name="%(app_label)s_%(class)s_unique_email",
                violation_error_message="Another person already uses this e-mail address.",
            ),
        ]

    @cached_property
    def roles(self) -> frozenset[str]:
        return frozenset(self.groups.filter(name__in=ROLE_NAMES).values_list("name", flat=True))

    @property
    def role(self) -> str:
        """The person's role name, or "" when none is assigned."""
        return next(iter(sorted(self.roles)), "")

    def has_role(self, *roles: str) -> bool:
        return self.is_active and bool(self.roles.intersection(roles))


def hash_token(raw: str) -> str:
    """Tokens carry 256 random bits, so a plain SHA-256 is enough to store them safely."""
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(CapturedQuerySet):
    def usable(self):
        now = timezone.now()
        return self.filter(revoked_at__isnull=True, expires_at__gt=now, user__is_active=True)


class ApiToken(CapturedModel):
    """A bearer token a script uses to call the API on a person's behalf, within its scopes."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = ShortTextField(max_length=100)
    prefix = models.CharField(max_length=12, help_text="The first characters, to recognise it.")
    token_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now() and self.user.is_active

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class IdempotencyRecord(models.Model):
    """The first answer to a request sent with an Idempotency-Key, replayed to retries."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of method, path and body.")
    status_code = models.PositiveSmallIntegerField()
    response_body = models.JSONField(encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key"], name="%(app_label)s_%(class)s_unique_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.status_code})"


class UserSession(AbstractBaseSession):
    """A signed-in browser session, kept server-side, with whose it is and where from.

    Django's database session plus the owner, so a person can list their sessions and
    end any of them, and deactivation can end them all (accounts.sessions).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sessions",
    )
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)

    @classmethod
    def get_session_store_class(cls):
        from accounts.sessions import SessionStore

        return SessionStore

    class Meta:
        indexes = [models.Index(fields=["user", "expire_date"], name="accounts_session_user_idx")]

    def __str__(self) -> str:
        return f"session of {self.user_id} from {self.ip}"


class LoginAttempt(models.Model):
    """One try to sign in with a password, kept by us (django-axes resets its counters)."""

    username = models.CharField(max_length=150, help_text="As typed, cut to length.")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="login_attempts",
    )
    succeeded = models.BooleanField()
    second_factor_at = models.DateTimeField(
        null=True, blank=True, help_text="When this sign-in was completed with a second factor."
    )
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    attempted_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-attempted_at", "-id"]
        indexes = [
            models.Index(fields=["user", "succeeded", "-attempted_at"], name="accounts_attempt_idx")
        ]

    def __str__(self) -> str:
        outcome = "succeeded" if self.succeeded else "failed"
        return f"{self.username} {outcome} at {self.attempted_at:%Y-%m-%d %H:%M}"


class Invitation(CapturedModel):
    """A one-time link a lead sends to a new member: set a password, enrol a device."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"invitation for {self.user_id}"

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.expires_at > timezone.now()


class FactorReset(CapturedModel):
    """A one-time link a lead sends to a person who lost every second factor: with it and
    their password, the person enrols a new authenticator once (accounts.recovery)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="factor_resets"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    # Empty when the operator reset it from the command line (reset_second_factor).
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"second-factor reset for {self.user_id}"

    @property
    def is_open(self) -> bool:
        return self.used_at is None and self.expires_at > timezone.now()
