"""Access tokens are JWTs, as Dintero's are (https://docs.dintero.com/api-reference/authenticate/get-token:
"the access_token is JSON Web Tokens (JWT)"), and the Get Token example's body, only `audience`,
is enough."""

import datetime as dt

import jwt
import pytest
from django.conf import settings
from django.utils import timezone

from backoffice.models import AccessToken
from tests.support.api import ShoppingApi, basic


@pytest.fixture
def credentials(account):
    from backoffice.services import api_client_create

    return api_client_create(account=account, name="jwt", scopes=["read:shopping"])


def get_token(client, account, body) -> dict:
    from rest_framework.test import APIClient

    api_client, secret = client
    response = APIClient().post(
        f"/v1/accounts/{account.aid}/auth/token",
        body,
        format="json",
        HTTP_AUTHORIZATION=basic(api_client.client_id, secret),
    )
    assert response.status_code == 200, response.content
    return response.json()


def audience(account) -> dict:
    return {"audience": f"http://testserver/v1/accounts/{account.aid}"}


def test_the_audience_alone_gets_a_jwt_with_the_clients_claims(credentials, account):
    token = get_token(credentials, account, audience(account))["access_token"]
    claims = jwt.decode(
        token,
        settings.SECRET_KEY,
        algorithms=["HS256"],
        audience=f"{settings.PUBLIC_URL}/v1/accounts/{account.aid}",
    )
    assert claims["account"] == account.aid and claims["sub"] == credentials[0].client_id
    assert claims["scope"] == "read:shopping"
    assert claims["exp"] - claims["iat"] == settings.API_TOKEN_TTL
    assert AccessToken.objects.filter(client=credentials[0]).count() == 1
    assert ShoppingApi(account.aid, token).call("get", "orders").status_code == 200


def test_an_expired_token_is_a_401(credentials, account):
    token = get_token(credentials, account, audience(account))["access_token"]
    AccessToken.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert ShoppingApi(account.aid, token).call("get", "orders").status_code == 401
    claims = jwt.decode(token, options={"verify_signature": False})
    past = jwt.encode({**claims, "exp": claims["iat"] - 1}, settings.SECRET_KEY, algorithm="HS256")
    response = ShoppingApi(account.aid, past).call("get", "orders")
    assert response.status_code == 401 and "expired" in response.json()["error"]["message"]


def test_a_revoked_token_is_a_401(credentials, account):
    token = get_token(credentials, account, audience(account))["access_token"]
    AccessToken.objects.update(revoked_at=timezone.now())
    assert ShoppingApi(account.aid, token).call("get", "orders").status_code == 401


@pytest.mark.parametrize("change", ["key", "claims", "alg_none", "garbage"])
def test_a_forged_or_tampered_token_is_a_401(credentials, account, other_account, change):
    token = get_token(credentials, account, audience(account))["access_token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    forged = {
        "key": jwt.encode(claims, "not our key at all, long enough to sign", algorithm="HS256"),
        "claims": token.split(".")[0]
        + "."
        + jwt.encode({**claims, "scope": "admin:shopping"}, "x" * 32, algorithm="HS256").split(".")[1]
        + "."
        + token.split(".")[2],
        "alg_none": jwt.encode(claims, None, algorithm="none"),
        "garbage": token[:-3] + "abc",
    }[change]
    response = ShoppingApi(account.aid, forged).call("get", "orders")
    assert response.status_code == 401, response.content
    assert "error" in response.json()
