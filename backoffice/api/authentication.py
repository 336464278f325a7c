from typing import cast

from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from backoffice.models import AccessToken, ApiClient, secret_hash


def api_client(request: Request) -> ApiClient:
    """The API client an authenticated request comes from: `BearerTokenAuthentication` makes it
    the request's user (which DRF types as a Django user)."""
    return cast(ApiClient, request.user)


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <token>` from the token endpoint; the user is the API client."""

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
        token = (
            AccessToken.objects.select_related("client__account").filter(token_hash=secret_hash(raw)).first()
        )
        if token is None or token.revoked_at or token.client.revoked_at:
            raise exceptions.AuthenticationFailed("the token is not valid or was revoked")
        if token.expires_at <= timezone.now():
            raise exceptions.AuthenticationFailed("the token has expired: request a new one")
        return token.client, token

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="api"'
