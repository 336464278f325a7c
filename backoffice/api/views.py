import base64
import binascii
import secrets
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.authentication import get_authorization_header
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from backoffice.models import AccessToken, Account, ApiClient, secret_hash
from orders.errors import FieldError, InvalidInput

from .errors import error_responses
from .idempotency import idempotent


class AccountAPIView(APIView):
    """An endpoint under `/v1/accounts/{aid}/`: the client's token must belong to that account."""

    account: Account

    def initial(self, request: Request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        client: ApiClient = request.user
        if client.account.aid != kwargs.get("aid"):
            raise exceptions.AuthenticationFailed(
                f"this token is for account {client.account.aid}, not {kwargs.get('aid')}"
            )
        self.account = client.account
        # No stored id holds a NUL character, and PostgreSQL refuses to even compare one.
        if any("\x00" in str(value) for value in kwargs.values()):
            raise exceptions.NotFound()

    def write(self, request: Request, action) -> Response:
        """Run a write, honouring the request's Idempotency-Key."""
        return idempotent(request, self.account, action)


def _basic_credentials(request: Request) -> tuple[str, str]:
    parts = get_authorization_header(request).split()
    if len(parts) != 2 or parts[0].lower() != b"basic":
        raise exceptions.AuthenticationFailed("use HTTP Basic auth with client_id:client_secret")
    try:
        client_id, _, secret = base64.b64decode(parts[1]).decode().partition(":")
    except (binascii.Error, UnicodeError) as exc:
        raise exceptions.AuthenticationFailed("malformed Basic credentials") from exc
    if "\x00" in client_id:
        raise exceptions.AuthenticationFailed("unknown client or wrong secret for this account")
    return client_id, secret


class TokenView(APIView):
    """`POST /v1/accounts/{aid}/auth/token` — client credentials for a bearer token."""

    authentication_classes = []
    permission_classes = [AllowAny]
    # Per client address, against guessing secrets.
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"

    def get_authenticate_header(self, request: Request) -> str:
        # Without it DRF would turn a failed client authentication into a 403.
        return 'Basic realm="api"'

    @extend_schema(
        request=inline_serializer(
            "TokenRequest",
            {
                "grant_type": serializers.ChoiceField(choices=["client_credentials"]),
                "audience": serializers.CharField(),
            },
        ),
        responses={
            200: inline_serializer(
                "TokenResponse",
                {
                    "access_token": serializers.CharField(),
                    "token_type": serializers.CharField(),
                    "expires_in": serializers.IntegerField(),
                },
            ),
            **error_responses(400, 401, 429),
        },
        auth=[{"basicAuth": []}],
        operation_id="auth_token",
    )
    def post(self, request: Request, aid: str) -> Response:
        client_id, secret = _basic_credentials(request)
        if "\x00" in aid:
            raise exceptions.NotFound()
        client = (
            ApiClient.objects.select_related("account")
            .filter(client_id=client_id, account__aid=aid, revoked_at__isnull=True)
            .first()
        )
        if client is None or not client.check_secret(secret):
            raise exceptions.AuthenticationFailed("unknown client or wrong secret for this account")
        body = request.data if isinstance(request.data, dict) else {}
        errors = []
        if body.get("grant_type") != "client_credentials":
            errors.append(FieldError("grant_type", 'must be "client_credentials"'))
        audience = body.get("audience")
        if not isinstance(audience, str) or not audience.rstrip("/").endswith(f"/v1/accounts/{aid}"):
            errors.append(FieldError("audience", f"must name this account: .../v1/accounts/{aid}"))
        if errors:
            raise InvalidInput(errors)
        raw = secrets.token_urlsafe(32)
        ttl = settings.API_TOKEN_TTL
        AccessToken.objects.create(
            client=client,
            token_hash=secret_hash(raw),
            expires_at=timezone.now() + timedelta(seconds=ttl),
        )
        return Response({"access_token": raw, "token_type": "Bearer", "expires_in": ttl})
