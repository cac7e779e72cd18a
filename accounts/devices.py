"""Every write to a person's second-factor devices: enrolling an authenticator app, backup
codes, removing a device, and clearing them all for a lead's second-factor reset.

Who may *add* a device is a property of the session, not of these writes: the views ask
accounts.twofactor.device_add_refusal first. Removing is checked here, whoever asks:
nobody is left without an authenticator app, security key or passkey (backup codes
alone don't count), because a person with no factor could only be re-enrolled through
a lead's reset (accounts.recovery).
"""

from __future__ import annotations

import django_otp
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

import audit
from accounts.models import User

LAST_DEVICE_REFUSAL = (
    "It is your only way to give a second factor: add another authenticator app, security "
    "key or passkey first, then remove this one."
)
BACKUP_CODES_ALONE_REFUSAL = (
    "Your backup codes are the only second factor you have left: add an authenticator app, "
    "security key or passkey first."
)


def _authenticators(user: User) -> list:
    """The person's confirmed devices that are not backup codes."""
    return [
        device
        for device in django_otp.devices_for_user(user, confirmed=True)
        if not isinstance(device, StaticDevice)
    ]


@transaction.atomic
def totp_device_pending(*, user: User) -> TOTPDevice:
    """The person's not-yet-confirmed authenticator (made once, reused until confirmed)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return device


@transaction.atomic
def totp_device_confirm(*, user: User, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm the pending authenticator with a code from it.

    Returns the new backup codes when this is the person's first device (shown
    once), [] when they already had codes, None when the code was wrong.
    """
    device = TOTPDevice.objects.select_for_update(no_key=True, of=("self",)).get(
        pk=device.pk, user=user, confirmed=False
    )
    if not device.verify_token((token or "").strip()):
        audit.record("otp.enrolment_failed", actor=user, target=user, outcome="failure")
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit.record(
        "otp.device_added", actor=user, target=user, data={"kind": "totp", "name": device.name}
    )
    if StaticDevice.objects.filter(user=user, confirmed=True).exists():
        return []
    return backup_codes_regenerate(user=user, actor=user)


@transaction.atomic
def backup_codes_regenerate(*, user: User, actor: User) -> list[str]:
    """Replace the person's single-use backup codes with new ones (shown only now)."""
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name="Backup codes", defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(settings.BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    audit.record("otp.backup_codes_generated", actor=actor, target=user, data={"count": len(codes)})
    return codes


@transaction.atomic
def device_remove(*, user: User, device, actor: User) -> None:
    """Remove one of the person's second-factor devices (TOTP, backup codes, a security
    key or passkey), never the last authenticator app, key or passkey: raises
    ValidationError then. Backup codes are never removed while they are all that is left.
    """
    if device.user_id != user.pk:
        raise PermissionDenied("Not your device.")
    # One removal per person at a time: two at once must not each leave the other last.
    User.objects.select_for_update(no_key=True, of=("self",)).filter(pk=user.pk).first()
    if getattr(device, "confirmed", True):
        removed = device.persistent_id
        remaining = [d for d in _authenticators(user) if d.persistent_id != removed]
        if not remaining:
            refusal = (
                BACKUP_CODES_ALONE_REFUSAL
                if isinstance(device, StaticDevice)
                else LAST_DEVICE_REFUSAL
            )
            raise ValidationError({"device": [refusal]})
    kind = type(device).__name__
    name = device.name
    device.delete()
    audit.record("otp.device_removed", actor=actor, target=user, data={"kind": kind, "name": name})


@transaction.atomic
def devices_clear(*, user: User, actor: User | None, reason: str) -> int:
    """Remove every device the person has, confirmed or not (a lead's second-factor reset:
    whoever holds a lost phone or key must not keep a way in). Returns how many."""
    devices = list(django_otp.devices_for_user(user, confirmed=None))
    for device in devices:
        kind = type(device).__name__
        name = device.name
        device.delete()
        audit.record(
            "otp.device_removed",
            actor=actor,
            target=user,
            data={"kind": kind, "name": name, "reason": reason},
        )
    return len(devices)
