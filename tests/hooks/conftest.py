import pytest
from rest_framework.test import APIClient

from tests.support.api import token_for
from tests.support.factories import api_client_for


class HooksApi(APIClient):
    """A DRF test client for `/v1/accounts/{aid}/hooks/`, holding a bearer token."""

    def __init__(self, aid: str, token: str):
        super().__init__()
        self.aid = aid
        self.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    def call(self, method: str, path: str = "", body=None, **headers):
        url = f"/v1/accounts/{self.aid}/hooks/subscriptions{path}"
        return getattr(self, method)(url, body, format="json", **headers)


@pytest.fixture
def hooks_api(db):
    """`hooks_api(account, "admin:hooks")` -> a HooksApi with a fresh token of those scopes."""

    def make(account, scopes: str = "admin:hooks", aid: str | None = None) -> HooksApi:
        client, secret = api_client_for(account, scopes, name=f"erp-{scopes}")
        return HooksApi(aid or account.aid, token_for(client, secret, account.aid))

    return make


def dintero_body(url: str, events=("shopping_order_update",), secret: str | None = "s3cret", **extra) -> dict:
    """A subscription body as Dintero's reference writes it."""
    config = {"url": url, "content_type": "application/json", "insecure_ssl": 0}
    if secret is not None:
        config["secret"] = {"type": "HMAC-SHA1", "value": secret}
    return {"config": config, "events": list(events), "active": True, **extra}
