from rest_framework import authentication, exceptions

from ipp_portal.accounts.lockout import client_ip

from .services import api_token_find, api_token_mark_used


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer <token>``. An unknown, revoked or inactive-user token is a 401."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("The Authorization header must be “Bearer <token>”.")
        try:
            secret = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed("The token is not valid.") from None
        token = api_token_find(secret)
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed("The token is not valid.")
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed("The token was revoked.")
        api_token_mark_used(token, client_ip(request._request))
        return token.user, token

    def authenticate_header(self, request) -> str:
        return self.keyword  # makes DRF answer 401 (with WWW-Authenticate), not 403, to a missing token
