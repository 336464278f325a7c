"""API access tokens as JSON Web Tokens, as Dintero issues them ("the access_token is JSON Web
Tokens (JWT)": https://docs.dintero.com/api-reference/authenticate/get-token and
https://docs.dintero.com/docs/checkout/authentication), signed with PyJWT.

A token carries its client, account, scopes, expiry and an id (`jti`); the database keeps one
`AccessToken` row per id (its hash), so a token can be revoked before it expires, and a token
whose row is gone is not valid. The signature proves the claims were ours; the row, that the
token still stands."""

import secrets
from datetime import timedelta

import jwt
from django.conf import settings
from django.db import connection
from django.utils import timezone

from backoffice.models import AccessToken, Account, ApiClient, secret_hash
from backoffice.prepared import statements_prepared
from backoffice.rows import columns, table

ALGORITHM = "HS256"
ISSUER = "backoffice"
REQUIRED = ["iss", "sub", "aud", "iat", "exp", "jti", "account", "scope"]


class TokenInvalid(Exception):
    """Why a bearer token is refused; its message is what the 401 says."""


def _key() -> str:
    return getattr(settings, "API_TOKEN_SIGNING_KEY", None) or settings.SECRET_KEY


def token_issue(*, client: ApiClient, audience: str, ttl: int) -> str:
    """A signed token for `client` on its account, valid for `ttl` seconds, and its row."""
    now = timezone.now()
    jti = secrets.token_urlsafe(16)
    expires_at = now + timedelta(seconds=ttl)
    AccessToken.objects.create(client=client, token_hash=secret_hash(jti), expires_at=expires_at)
    claims = {
        "iss": ISSUER,
        "sub": client.client_id,
        "aud": audience,
        "account": client.account.aid,
        "scope": " ".join(client.scopes),
        "iat": int(now.timestamp()),
        "exp": int(expires_at.timestamp()),
        "jti": jti,
    }
    return jwt.encode(claims, _key(), algorithm=ALGORITHM)


def token_read(raw: str) -> AccessToken:
    """The standing token `raw` names: signed by us, unexpired, its row neither revoked nor of a
    revoked client. Anything else raises `TokenInvalid`."""
    try:
        claims = jwt.decode(
            raw,
            _key(),
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": REQUIRED, "verify_aud": False},
        )
    except jwt.ExpiredSignatureError as exc:
        raise TokenInvalid("the token has expired: request a new one") from exc
    except jwt.InvalidTokenError as exc:
        raise TokenInvalid("the token is not valid") from exc
    token = _token_row(secret_hash(str(claims["jti"])))
    if (
        token is None
        or token.revoked_at
        or token.client.revoked_at
        or token.client.client_id != claims["sub"]
        or token.client.account.aid != claims["account"]
    ):
        raise TokenInvalid("the token is not valid or was revoked")
    if token.expires_at <= timezone.now():
        raise TokenInvalid("the token has expired: request a new one")
    return token


def _token_row(token_hash: str) -> AccessToken | None:
    """The token row with its client and account, as
    `AccessToken.objects.select_related("client__account").filter(token_hash=…).first()` reads
    them, by SQL written once (`backoffice.rows`): every API request makes this read."""
    token, client, account = (columns(m, a, connection) for m, a in _TOKEN_ROW)
    sql = (
        f"SELECT {token.select}, {client.select}, {account.select} FROM {table(AccessToken, connection)} t"
        f" JOIN {table(ApiClient, connection)} c ON c.id = t.client_id"
        f" JOIN {table(Account, connection)} a ON a.id = c.account_id WHERE t.token_hash = %s"
    )
    with statements_prepared(), connection.cursor() as cursor:
        cursor.execute(sql, [token_hash])
        row = cursor.fetchone()
    if row is None:
        return None
    found = token.instance(row, 0, connection)
    found.client = client.instance(row, token.width, connection)
    found.client.account = account.instance(row, token.width + client.width, connection)
    return found


_TOKEN_ROW = ((AccessToken, "t"), (ApiClient, "c"), (Account, "a"))
