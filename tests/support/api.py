"""The Shopping API over HTTP: a test client holding a token, requests that build orders, the
spec's error body, and the "nothing written" snapshot that refused requests are checked against."""

import base64
from collections import Counter

from rest_framework.test import APIClient

from backoffice.models import IdempotencyRecord
from orders.models import DraftOrder, Event, OperationItem, Order, OrderLine, PaymentOperation, TaxLine

from .orders import draft_body, op_body


class ShoppingApi(APIClient):
    """A DRF test client for `/v1/accounts/{aid}/shopping/`, holding a bearer token."""

    def __init__(self, aid: str, token: str | None):
        super().__init__()
        self.aid = aid
        if token:
            self.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    def url(self, path: str) -> str:
        return f"/v1/accounts/{self.aid}/shopping/{path.lstrip('/')}"

    def call(self, method: str, path: str, body=None, **headers):
        return getattr(self, method.lower())(self.url(path), body, format="json", **headers)


def basic(client_id: str, secret: str) -> str:
    """The `Authorization` header of HTTP Basic authentication."""
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def token_for(client, secret: str, aid: str) -> str:
    """A bearer token for an API client, asked for as a shop would."""
    response = APIClient().post(
        f"/v1/accounts/{aid}/auth/token",
        {"grant_type": "client_credentials", "audience": f"http://testserver/v1/accounts/{aid}"},
        format="json",
        HTTP_AUTHORIZATION=basic(client.client_id, secret),
    )
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


def client_like(api: ShoppingApi) -> ShoppingApi:
    """A client of its own for a thread, with the same token."""
    clone = ShoppingApi(api.aid, None)
    clone.credentials(HTTP_AUTHORIZATION=api._credentials["HTTP_AUTHORIZATION"])
    return clone


def statuses(responses) -> Counter:
    return Counter(r.status_code for r in responses)


def draft_new(api: ShoppingApi, body: dict | None = None) -> dict:
    response = api.call("post", "draft_orders", body or draft_body())
    assert response.status_code == 201, response.content
    return response.json()


def complete(api: ShoppingApi, draft_id: str):
    return api.call("put", f"draft_orders/{draft_id}/complete")


def order_new(api: ShoppingApi, items: list[dict] | None = None) -> dict:
    """Create and complete a draft over HTTP; the order as the API answers it."""
    response = complete(api, draft_new(api, draft_body(items))["id"])
    assert response.status_code == 200, response.content
    return response.json()["orders"][0]


def order_update(api: ShoppingApi, order_id: str, items: list[dict]):
    """A draft that updates `order_id` with `items`, completed: the completion's response."""
    return complete(api, draft_new(api, draft_body(items, order_id=order_id))["id"])


def operation_new(
    api: ShoppingApi, order_id: str, kind: str, lines: list[tuple[int, int]], payment_id="PID_123", **kw
):
    """Post an operation (`kind` as in the path: "captures") that must be recorded; its document."""
    response = api.call("post", f"orders/{order_id}/{kind}", op_body(lines, payment_id), **kw)
    assert response.status_code == 201, response.content
    return response.json()


def snapshot() -> dict:
    """Everything a refused request must leave as it was."""
    orders = Order.objects.order_by("pk").values_list(
        "order_id",
        "status",
        "payment_status",
        "gross_amount",
        "tax_amount",
        "authorized_amount",
        "captured_amount",
        "refunded_amount",
        "cancelled_amount",
        "last_line_id",
    )
    lines = OrderLine.objects.order_by("pk").values_list(
        "pk", "authorized_amount", "captured_amount", "refunded_amount", "cancelled_amount"
    )
    return {
        "orders": list(orders),
        "lines": list(lines),
        "drafts": list(DraftOrder.objects.order_by("pk").values_list("pk", "status", "document")),
        "operations": PaymentOperation.objects.count(),
        "operation_items": OperationItem.objects.count(),
        "events": Event.objects.count(),
        "tax_lines": TaxLine.objects.count(),
        "idempotency": IdempotencyRecord.objects.count(),
    }


def assert_error(response, status: int, code: str | None = None, *words: str) -> dict:
    """The spec's error body, with the status, the code and the words the message must hold."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "errors"}, error
    assert isinstance(error["message"], str) and error["message"], error
    assert isinstance(error["errors"], list), error
    for entry in error["errors"]:
        assert set(entry) == {"field", "message"}, entry
    if code is not None:
        assert error["code"] == code, error
    text = error["message"] + " " + " ".join(e["message"] + " " + e["field"] for e in error["errors"])
    for word in words:
        assert word in text, (word, error)
    return error
