from typing import cast

from rest_framework import authentication, exceptions
from rest_framework.request import Request

from backoffice.api.tokens import TokenInvalid, token_read
from backoffice.models import ApiClient


def api_client(request: Request) -> ApiClient:
    """The API client an authenticated request comes from: `BearerTokenAuthentication` makes it
    the request's user (which DRF types as a Django user)."""
    return cast(ApiClient, request.user)


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <JWT>` from the token endpoint (`backoffice.api.tokens`); the user is
    the API client."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("the Authorization header must be 'Bearer <token>'")
        try:
            raw = header[1].decode()
        except UnicodeError as exc:
            raise exceptions.AuthenticationFailed("the token is not valid") from exc
        try:
            token = token_read(raw)
        except TokenInvalid as exc:
            raise exceptions.AuthenticationFailed(str(exc)) from exc
        return token.client, token

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="api"'
