"""The one check behind every "may this person do this": views and services alike."""

from django.core.exceptions import PermissionDenied


def require_permission(user, permission: str, message: str | None = None) -> None:
    """PermissionDenied unless `user` is an active person holding `permission`."""
    if user is None or not user.is_active or not user.has_perm(permission):
        raise PermissionDenied(message or f"You lack the permission {permission!r}.")
