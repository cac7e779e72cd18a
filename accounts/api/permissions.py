"""API permission classes, each named for what it allows."""

from rest_framework import exceptions, permissions

from accounts.models import ApiToken


class TokenHasScope(permissions.BasePermission):
    """Allows a token request only if the token has the scope the view names for the method."""

    message = "This token lacks the scope this request needs."

    def has_permission(self, request, view):
        if not isinstance(request.auth, ApiToken):
            return True
        if request.method.lower() not in view.http_method_names:
            return True  # the view answers 405 Method Not Allowed itself
        required = view.required_scopes.get(request.method)
        if required is None:
            return False
        self.message = f"This token lacks the '{required!s}' scope."
        return request.auth.has_scope(required)


def read_write_scopes(read: str, write: str) -> dict[str, str]:
    """`required_scopes` of a view that reads with one scope and writes with another."""
    return {
        "GET": read,
        "HEAD": read,
        "OPTIONS": read,
        "POST": write,
        "PATCH": write,
        "PUT": write,
        "DELETE": write,
    }


class PartialUpdateOnly:
    """A viewset mixin: PATCH changes what it names; a PUT (replace everything) is 405."""

    def update(self, request, *args, **kwargs):
        if not kwargs.get("partial"):
            raise exceptions.MethodNotAllowed(request.method)
        return self.partial_update(request, *args, **kwargs)
