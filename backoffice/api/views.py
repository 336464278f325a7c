import base64
import binascii
from urllib.parse import urlsplit

from django.conf import settings
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.authentication import get_authorization_header
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backoffice.errors import FieldError, InvalidInput
from backoffice.models import Account, ApiClient
from backoffice.prepared import statements_prepared

from .authentication import api_client
from .errors import error_responses
from .idempotency import idempotent
from .throttling import AtomicScopedRateThrottle
from .tokens import token_issue


class AccountAPIView(APIView):
    """An endpoint under `/v1/accounts/{aid}/`: the client's token must belong to that account."""

    account: Account

    def check_permissions(self, request: Request) -> None:
        # The account before the scopes: another account's token is not a credential here at all
        # (401), whatever it may do on its own account (else a read-only one would get a 403).
        client = request.user
        if isinstance(client, ApiClient) and client.account.aid != self.kwargs.get("aid"):
            raise exceptions.AuthenticationFailed(
                f"this token is for account {client.account.aid}, not {self.kwargs.get('aid')}"
            )
        super().check_permissions(request)

    def initial(self, request: Request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        self.account = api_client(request).account
        # No stored id holds a NUL character, and PostgreSQL refuses to even compare one.
        if any("\x00" in str(value) for value in kwargs.values()):
            raise exceptions.NotFound()

    def write(self, request: Request, action) -> Response:
        """Run a write, honouring the request's Idempotency-Key. Its statements are prepared:
        a write reads and writes by key, so their plans do not depend on the values."""
        with statements_prepared():
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


def _url_parts(url: str) -> tuple | None:
    """Scheme, host, port and path, as compared; None for what is no plain http(s) URL."""
    try:
        parts = urlsplit(url)
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    if parts.username is not None or parts.password is not None or parts.query or parts.fragment:
        return None
    path = parts.path[:-1] if parts.path.endswith("/") else parts.path
    return parts.scheme.lower(), parts.hostname.lower(), port, path


def _is_audience(audience, request: Request, aid: str) -> bool:
    """The audience names exactly this deployment's account URL, `{PUBLIC_URL}/v1/accounts/{aid}`:
    same scheme, host, port and path (one trailing slash tolerated; host and scheme in any case)."""
    if not isinstance(audience, str):
        return False
    given = _url_parts(audience)
    bases = [settings.PUBLIC_URL]
    if settings.PUBLIC_URL_FROM_REQUEST:
        bases.append(request.build_absolute_uri("/").rstrip("/"))
    return given is not None and any(given == _url_parts(f"{b}/v1/accounts/{aid}") for b in bases)


class TokenView(APIView):
    """`POST /v1/accounts/{aid}/auth/token` — client credentials for a bearer token."""

    authentication_classes = []
    permission_classes = [AllowAny]
    # Per client address, against guessing secrets; atomic, so concurrent guesses count too.
    throttle_classes = [AtomicScopedRateThrottle]
    throttle_scope = "token"

    def get_authenticate_header(self, request: Request) -> str:
        # Without it DRF would turn a failed client authentication into a 403.
        return 'Basic realm="api"'

    @extend_schema(
        request=inline_serializer(
            "TokenRequest",
            {
                "grant_type": serializers.ChoiceField(
                    choices=["client_credentials"], required=False, default="client_credentials"
                ),
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
        # drf-spectacular types `auth` as scheme names, but uses it as the security requirements.
        auth=[{"basicAuth": []}],  # type: ignore[list-item]
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
        # Dintero's Get Token example sends only `audience`
        # (https://docs.dintero.com/api-reference/authenticate/get-token): the grant defaults.
        if body.get("grant_type", "client_credentials") != "client_credentials":
            errors.append(FieldError("grant_type", 'must be "client_credentials"'))
        expected = f"{settings.PUBLIC_URL}/v1/accounts/{aid}"
        if not _is_audience(body.get("audience"), request, aid):
            errors.append(FieldError("audience", f"must be this account's URL: {expected}"))
        if errors:
            raise InvalidInput(errors)
        ttl = settings.API_TOKEN_TTL
        raw = token_issue(client=client, audience=expected, ttl=ttl)
        return Response({"access_token": raw, "token_type": "Bearer", "expires_in": ttl})
