from rest_framework import permissions

from .models import ApiToken


class HasScope(permissions.BasePermission):
    """The token carries the scope the view declares (``required_scope``; reading by default)."""

    message = "This token does not have the scope this needs."

    def has_permission(self, request, view) -> bool:
        token = request.auth
        if not isinstance(token, ApiToken):
            return False
        required = getattr(view, "required_scope", ApiToken.Scope.READ)
        return required in token.scopes
