"""Tokens, scopes and account isolation on the API."""

import base64
import hashlib
from datetime import timedelta

import jwt
import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from backoffice.models import AccessToken, ApiClient
from backoffice.services import api_client_revoke, token_revoke
from tests.support.api import ShoppingApi, assert_error, basic, snapshot, token_for
from tests.support.factories import api_client_for
from tests.support.orders import SEED_DRAFT, make_order, op_body

ORDER_PATHS = ["orders/{oid}", "orders/{oid}/events", "orders/{oid}/captures", "orders/{oid}/authorizations"]


def token_request(aid: str, authorization: str | None, body=None):
    body = (
        body
        if body is not None
        else {
            "grant_type": "client_credentials",
            "audience": f"http://testserver/v1/accounts/{aid}",
        }
    )
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    return APIClient().post(f"/v1/accounts/{aid}/auth/token", body, format="json", **headers)


def test_token_endpoint_with_the_seed_request(account):
    """The seeds' request, with this deployment's URL (PUBLIC_URL) where Dintero's names theirs."""
    client, secret = api_client_for(account)
    response = token_request(account.aid, basic(client.client_id, secret), {
        "audience": f"http://testserver/v1/accounts/{account.aid}",
        "grant_type": "client_credentials",
    })  # fmt: skip
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] > 0 and body["access_token"]
    api = ShoppingApi(account.aid, body["access_token"])
    assert api.call("get", "orders").status_code == 200


def test_secrets_and_tokens_are_stored_hashed(account):
    client, secret = api_client_for(account)
    stored = ApiClient.objects.get(pk=client.pk)
    assert secret not in stored.secret_hash
    assert stored.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    token = token_for(client, secret, account.aid)
    (row,) = AccessToken.objects.filter(client=client)
    # The token is a JWT; its row keeps the hash of its id, for revocation.
    jti = jwt.decode(token, options={"verify_signature": False})["jti"]
    assert row.token_hash == hashlib.sha256(jti.encode()).hexdigest() and jti not in row.token_hash


@pytest.mark.parametrize(
    "body, field",
    [
        ({"grant_type": "password", "audience": "https://x/v1/accounts/T12345678"}, "grant_type"),
        ({"grant_type": "client_credentials", "audience": "https://x/v1/accounts/T87654321"}, "audience"),
        ({"grant_type": "client_credentials", "audience": "https://x/v1/accounts/T123456789"}, "audience"),
        ({"grant_type": "client_credentials"}, "audience"),
        ({"grant_type": "client_credentials", "audience": ["T12345678"]}, "audience"),
    ],
)
def test_token_endpoint_refuses_a_bad_grant_or_audience(account, body, field):
    client, secret = api_client_for(account)
    error = assert_error(
        token_request(account.aid, basic(client.client_id, secret), body), 400, "invalid_request"
    )
    assert field in [e["field"] for e in error["errors"]]
    assert not AccessToken.objects.exists()


def test_token_endpoint_refuses_bad_credentials(account, other_account):
    client, secret = api_client_for(account)
    foreign, foreign_secret = api_client_for(other_account)
    cases = [
        None,
        "Bearer something",
        basic(client.client_id, "wrong"),
        basic("nobody", secret),
        # A client of another account, on this account's path.
        basic(foreign.client_id, foreign_secret),
        "Basic !!!not-base64!!!",
        "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode(),
        basic("\x00", secret),
    ]
    for authorization in cases:
        response = token_request(account.aid, authorization)
        assert_error(response, 401, "unauthorized")
    api_client_revoke(client=client)
    assert_error(token_request(account.aid, basic(client.client_id, secret)), 401, "unauthorized")
    assert not AccessToken.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_no_token_is_401(account, method):
    response = ShoppingApi(account.aid, None).call(method, "draft_orders", SEED_DRAFT)
    assert_error(response, 401, "unauthorized")
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer",
        "Bearer not-a-token",
        "Bearer a b",
        "Token abc",
        "Basic dXNlcjpwYXNz",
        "Bearer \u00e6\u00f8\u00e5",
    ],
)
def test_bad_tokens_are_401(account, authorization):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=authorization)
    assert_error(client.get(f"/v1/accounts/{account.aid}/shopping/orders"), 401, "unauthorized")


def test_expired_and_revoked_tokens_are_401(account, make_api):
    api = make_api(account)
    assert api.call("get", "orders").status_code == 200
    AccessToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_error(api.call("get", "orders"), 401, "unauthorized", "expired")

    api = make_api(account)
    token_revoke(token=AccessToken.objects.latest("created_at"))
    assert_error(api.call("get", "orders"), 401, "unauthorized", "revoked")

    api = make_api(account)
    api_client_revoke(client=AccessToken.objects.latest("created_at").client)
    assert_error(api.call("get", "orders"), 401, "unauthorized")


def test_read_scope_reads_but_cannot_write(account, make_api):
    order = make_order(account)
    reader = make_api(account, "read:shopping")
    assert reader.call("get", "orders").status_code == 200
    assert reader.call("get", f"orders/{order.order_id}").status_code == 200
    assert reader.call("get", "draft_orders").status_code == 200
    before = snapshot()
    for method, path, body in [
        ("post", "draft_orders", SEED_DRAFT),
        ("post", f"orders/{order.order_id}/authorizations", op_body([(1, 100)])),
        ("post", f"orders/{order.order_id}/cancel", None),
    ]:
        assert_error(reader.call(method, path, body), 403, "forbidden")
    assert snapshot() == before


@pytest.mark.parametrize("scopes", ["write:shopping", "admin:shopping", "read:shopping write:shopping"])
def test_write_and_admin_scopes_write(account, make_api, scopes):
    order = make_order(account)
    writer = make_api(account, scopes)
    assert writer.call("post", "draft_orders", SEED_DRAFT).status_code == 201
    assert (
        writer.call("post", f"orders/{order.order_id}/authorizations", op_body([(1, 100)])).status_code == 201
    )
    assert writer.call("get", f"orders/{order.order_id}").status_code == 200


def test_another_accounts_order_and_draft_are_404(account, other_account, make_api):
    theirs = make_order(other_account)
    their_draft = make_api(other_account).call("post", "draft_orders", SEED_DRAFT).json()
    api = make_api(account)
    before = snapshot()
    for path in ORDER_PATHS:
        assert_error(api.call("get", path.format(oid=theirs.order_id)), 404, "not_found")
    assert_error(api.call("post", f"orders/{theirs.order_id}/authorizations", op_body([(1, 100)])), 404)
    assert_error(api.call("post", f"orders/{theirs.order_id}/cancel"), 404)
    assert_error(api.call("get", f"draft_orders/{their_draft['id']}"), 404, "not_found")
    assert_error(api.call("put", f"draft_orders/{their_draft['id']}/complete"), 404, "not_found")
    assert_error(api.call("delete", f"draft_orders/{their_draft['id']}"), 404, "not_found")
    # Nor can a draft of this account update the other account's order.
    body = {"options": {"order_id": theirs.order_id}, "order": SEED_DRAFT["order"]}
    assert_error(api.call("post", "draft_orders", body), 400, "invalid_request", theirs.order_id)
    assert snapshot() == before
    assert api.call("get", "orders").json()["orders"] == []
    assert api.call("get", "draft_orders").json()["draft_orders"] == []


def test_a_token_is_refused_on_another_accounts_path(account, other_account, make_api):
    theirs = make_order(other_account)
    api = make_api(account, aid=other_account.aid)
    before = snapshot()
    for method, path, body in [
        ("get", "orders", None),
        ("get", f"orders/{theirs.order_id}", None),
        ("post", "draft_orders", SEED_DRAFT),
        ("post", f"orders/{theirs.order_id}/authorizations", op_body([(1, 100)])),
    ]:
        response = api.call(method, path, body)
        assert response.status_code in (401, 403, 404), response.content
        assert_error(response, response.status_code)
        assert theirs.order_id not in response.content.decode()
    assert snapshot() == before


def test_token_endpoint_on_an_odd_account_path(account):
    client, secret = api_client_for(account)
    for aid in ["%00", "T1234567%00", "nobody"]:
        response = APIClient().post(
            f"/v1/accounts/{aid}/auth/token",
            {"grant_type": "client_credentials", "audience": f"https://x/v1/accounts/{aid}"},
            format="json",
            HTTP_AUTHORIZATION=basic(client.client_id, secret),
        )
        assert response.status_code in (401, 404), response.content
        assert_error(response, response.status_code)


@pytest.mark.parametrize(
    "audience",
    [
        "http://testserver/v1/accounts/T12345678",
        "http://testserver/v1/accounts/T12345678/",
        "HTTP://TestServer/v1/accounts/T12345678",
        "http://testserver:80/v1/accounts/T12345678",
    ],
)
def test_the_audience_is_this_deployments_account_url(account, audience):
    client, secret = api_client_for(account)
    body = {"grant_type": "client_credentials", "audience": audience}
    response = token_request(account.aid, basic(client.client_id, secret), body)
    assert response.status_code == 200, response.content


@pytest.mark.parametrize(
    "audience",
    [
        # another host, scheme or port that merely ends with the account's path
        "https://evil.example/v1/accounts/T12345678",
        "https://testserver/v1/accounts/T12345678",
        "http://testserver:8000/v1/accounts/T12345678",
        "http://testserver.evil.example/v1/accounts/T12345678",
        "http://evil.example/http://testserver/v1/accounts/T12345678",
        # Dintero's own URL names Dintero's deployment, not this one
        "https://api.dintero.com/v1/accounts/T12345678",
        # the path must be the account's, exactly
        "http://testserver/prefix/v1/accounts/T12345678",
        "http://testserver/v1/accounts/T12345678//",
        "http://testserver/v1/accounts/t12345678",
        "http://testserver/v1/accounts/T12345678/shopping",
        "http://testserver/v1/accounts/T12345678?x=1",
        "http://testserver/v1/accounts/T12345678#x",
        "http://user@testserver/v1/accounts/T12345678",
        "/v1/accounts/T12345678",
        "testserver/v1/accounts/T12345678",
        "http://testserver:99999/v1/accounts/T12345678",
        "",
    ],
)
def test_an_audience_that_is_not_exactly_this_deployments_is_refused(account, audience):
    client, secret = api_client_for(account)
    body = {"grant_type": "client_credentials", "audience": audience}
    response = token_request(account.aid, basic(client.client_id, secret), body)
    error = assert_error(response, 400, "invalid_request")
    assert error["errors"] == [
        {
            "field": "audience",
            "message": "must be this account's URL: http://testserver/v1/accounts/T12345678",
        }
    ]
    assert not AccessToken.objects.exists()


def test_the_audience_follows_the_public_url_setting(account, settings):
    settings.PUBLIC_URL = "https://backoffice.example.com"
    client, secret = api_client_for(account)
    ok = {
        "grant_type": "client_credentials",
        "audience": "https://backoffice.example.com/v1/accounts/T12345678",
    }
    assert token_request(account.aid, basic(client.client_id, secret), ok).status_code == 200
    # the address the request reached is not the public one
    old = {"grant_type": "client_credentials", "audience": "http://testserver/v1/accounts/T12345678"}
    assert_error(token_request(account.aid, basic(client.client_id, secret), old), 400, "invalid_request")


def test_in_development_without_a_public_url_the_servers_own_address_is_accepted(account, settings):
    """`make run` on another port, or a black-box run on a free port, with no PUBLIC_URL set."""
    settings.PUBLIC_URL, settings.PUBLIC_URL_FROM_REQUEST = "http://127.0.0.1:8000", True
    client, secret = api_client_for(account)
    for audience in [
        "http://127.0.0.1:8000/v1/accounts/T12345678",
        "http://testserver/v1/accounts/T12345678",
    ]:
        body = {"grant_type": "client_credentials", "audience": audience}
        assert token_request(account.aid, basic(client.client_id, secret), body).status_code == 200
    evil = {"grant_type": "client_credentials", "audience": "https://evil.example/v1/accounts/T12345678"}
    assert_error(token_request(account.aid, basic(client.client_id, secret), evil), 400, "invalid_request")


@pytest.mark.parametrize("scopes", ["read:shopping", "write:shopping"])
def test_another_accounts_token_is_401_before_any_scope_check(account, other_account, make_api, scopes):
    """A read-only token of A on B's path is no credential there: 401 (as documented), not the
    403 of a missing scope — for reads and writes alike."""
    theirs = make_order(other_account)
    api = make_api(account, scopes, aid=other_account.aid)
    before = snapshot()
    for method, path, body in [
        ("get", "orders", None),
        ("get", f"orders/{theirs.order_id}", None),
        ("post", "draft_orders", SEED_DRAFT),
        ("post", f"orders/{theirs.order_id}/authorizations", op_body([(1, 100)])),
        ("post", f"orders/{theirs.order_id}/cancel", None),
        ("put", "draft_orders/00000000-0000-0000-0000-000000000000/complete", None),
    ]:
        response = api.call(method, path, body)
        assert_error(response, 401, "unauthorized", f"this token is for account {account.aid}")
        assert response["WWW-Authenticate"].startswith("Bearer")
    payments = api.post(f"/v1/accounts/{other_account.aid}/payments/orders/{theirs.order_id}/capture", {})
    assert_error(payments, 401, "unauthorized")
    assert snapshot() == before
