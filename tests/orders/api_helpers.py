"""Helpers shared by the API tests: bodies, orders made over HTTP, and the "nothing written"
snapshot that refused requests are checked against."""

import copy

from backoffice.models import IdempotencyRecord
from orders.models import DraftOrder, Event, OperationItem, Order, OrderLine, PaymentOperation, TaxLine
from tests.factories import SEED_DRAFT, SEED_ITEM


def op_body(lines: list[tuple[int, int]], payment_id: str = "PID_123", success: bool = True) -> dict:
    """`op_body([(1, 39800)])` -> a Dintero operation body."""
    return {
        "items": [{"amount": amount, "line_id": line_id} for line_id, amount in lines],
        "payment_details": {"payment_id": payment_id},
        "success": success,
    }


def line(line_id: int, gross: int, quantity: int = 1, **extra) -> dict:
    """A draft line with the VAT (25 %) its gross contains."""
    return {
        **copy.deepcopy(SEED_ITEM),
        "line_id": line_id,
        "quantity": quantity,
        "gross_amount": gross,
        "tax_lines": [{"amount": round(gross / 5), "percentage": 25}],
        **extra,
    }


def reversal(line_id: int, of: int, gross: int, quantity: int = 1) -> dict:
    return line(line_id, -gross, quantity, related_item={"line_id": of, "type": "reversed"})


def draft_body(items: list[dict] | None = None, order_id: str | None = None, currency: str = "NOK") -> dict:
    if items is None:
        return copy.deepcopy(SEED_DRAFT)
    options = {"order_id": order_id} if order_id else {"generate_order_id": "ALPHANUMERIC_9"}
    return {"options": options, "order": {"currency": currency, "items": items}}


def draft_new(api, body: dict | None = None) -> dict:
    response = api.call("post", "draft_orders", body or draft_body())
    assert response.status_code == 201, response.content
    return response.json()


def complete(api, draft_id: str):
    return api.call("put", f"draft_orders/{draft_id}/complete")


def order_new(api, items: list[dict] | None = None) -> dict:
    """Create and complete a draft over HTTP; the order as the API answers it."""
    response = complete(api, draft_new(api, draft_body(items))["id"])
    assert response.status_code == 200, response.content
    return response.json()["orders"][0]


def order_update(api, order_id: str, items: list[dict]):
    """A draft that updates `order_id` with `items`, completed: the completion's response."""
    return complete(api, draft_new(api, draft_body(items, order_id=order_id))["id"])


def record(api, order_id: str, kind: str, lines: list[tuple[int, int]], payment_id="PID_123", **kw):
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
