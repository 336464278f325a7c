"""The seeds' flows end to end through HTTP, with the seeds' bodies verbatim."""

import copy

from orders.models import OperationKind, PaymentOperation
from tests.support.orders import SEED_DRAFT

# order-update-reversal: step 1, the original order (the v1 document spells the alias
# "Staplestol"; the bodies are otherwise the same).
ORIGINAL_DRAFT = {
    "options": {"generate_order_id": "ALPHANUMERIC_9"},
    "order": {
        "currency": "NOK",
        "items": [
            {
                "id": "175938",
                "line_id": 1,
                "quantity": 2,
                "gross_amount": 39800,
                "tax_lines": [{"amount": 7960, "percentage": 25}],
                "description": "Stablestol for utendørsbruk",
                "description_alias": "Stablestol",
            }
        ],
    },
}
PID_123_LINE_1 = {
    "items": [{"amount": 39800, "line_id": 1}],
    "payment_details": {"payment_id": "PID_123"},
    "success": True,
}
# Step 3: reverse line 1 and add a replacement.
REVERSAL_DRAFT = {
    "options": {"order_id": "{order_id}"},
    "order": {
        "currency": "NOK",
        "items": [
            {
                "id": "175938",
                "line_id": 2,
                "quantity": 2,
                "gross_amount": -39800,
                "tax_lines": [{"amount": -7960, "percentage": 25}],
                "description": "Stablestol for utendørsbruk",
                "description_alias": "Stablestol",
                "reversed_reason": "Replace item",
                "related_item": {"line_id": 1, "type": "reversed"},
            },
            {
                "id": "003929",
                "line_id": 3,
                "quantity": 1,
                "gross_amount": 39800,
                "tax_lines": [{"amount": 7960, "percentage": 25}],
                "description": "Stablestol for innendørsbruk",
                "description_alias": "Stablestol Lux",
            },
        ],
    },
}
REVERSED_ITEM = {
    "items": [{"amount": -39800, "line_id": 2}],
    "payment_details": {"payment_id": "PID_123"},
    "success": True,
}
NEW_ITEM = {
    "items": [{"amount": 39800, "line_id": 3}],
    "payment_details": {"payment_id": "PID_123"},
    "success": True,
}
NEW_ITEM_AND_REFUND_LINE = {
    "items": [{"amount": 39800, "line_id": 3}, {"amount": 1000, "line_id": 4}],
    "payment_details": {"payment_id": "PID_123"},
    "success": True,
}
REFUND_REMAINING = {
    "items": [{"amount": 1000, "line_id": 4}],
    "payment_details": {"payment_id": "PID_123"},
    "success": True,
}
EXTRA_AUTHORIZATION = {
    "items": [{"amount": 1000, "line_id": 3}],
    "payment_details": {"payment_id": "PID_321"},
    "success": True,
}
# orders-and-checkout: steps 4 to 6 use the same body.
CHECKOUT_OPERATION = {
    "items": [{"amount": 39800, "line_id": 1}],
    "payment_details": {"payment_id": "transaction_id"},
    "success": True,
}


def post(api, path: str, body: dict, status: int = 201) -> dict:
    response = api.call("post", path, body)
    assert response.status_code == status, response.content
    return response.json()


def new_order(api, body: dict | None = None) -> dict:
    draft = post(api, "draft_orders", body or SEED_DRAFT)
    done = api.call("put", f"draft_orders/{draft['id']}/complete")
    assert done.status_code == 200, done.content
    assert set(done.json()) == {"orders"}
    return done.json()["orders"][0]


def get_order(api, order_id: str) -> dict:
    response = api.call("get", f"orders/{order_id}")
    assert response.status_code == 200, response.content
    return response.json()


def figures(thing: dict) -> tuple[int, int, int, int]:
    return (
        thing["authorized_amount"],
        thing["captured_amount"],
        thing["refunded_amount"],
        thing["cancelled_amount"],
    )


def update_draft(order_id: str, extra_items: list[dict] | None = None) -> dict:
    body = copy.deepcopy(REVERSAL_DRAFT)
    body["options"]["order_id"] = order_id
    body["order"]["items"] += extra_items or []
    return body


def original_captured(api) -> str:
    order = new_order(api, ORIGINAL_DRAFT)
    oid = order["order_id"]
    post(api, f"orders/{oid}/authorizations", PID_123_LINE_1)
    post(api, f"orders/{oid}/captures", PID_123_LINE_1)
    assert get_order(api, oid)["payment_status"] == "paid"
    return oid


def test_lifecycle_authorize_capture_refund(api):
    order = new_order(api)
    oid = order["order_id"]
    assert len(oid) == 9 and oid.isalnum() and oid.upper() == oid
    assert order["payment_status"] == "pending" and order["status"] == "open"
    assert (order["gross_amount"], order["tax_amount"], order["net_amount"]) == (39800, 7960, 31840)
    for kind, status in [("authorizations", "pending"), ("captures", "paid"), ("refunds", "refunded")]:
        recorded = post(api, f"orders/{oid}/{kind}", CHECKOUT_OPERATION)
        assert recorded["amount"] == 39800
        assert recorded["items"] == [{"line_id": 1, "amount": 39800}]
        assert recorded["payment_details"] == {"payment_id": "transaction_id"}
        assert get_order(api, oid)["payment_status"] == status
    order = get_order(api, oid)
    assert figures(order["items"][0]) == (39800, 39800, 39800, 0)
    assert figures(order) == (39800, 39800, 39800, 0)
    for kind in ("authorizations", "captures", "refunds"):
        listed = api.call("get", f"orders/{oid}/{kind}").json()
        assert [op["amount"] for op in listed[kind]] == [39800]
        one = api.call("get", f"orders/{oid}/{kind}/{listed[kind][0]['id']}")
        assert one.status_code == 200 and one.json()["id"] == listed[kind][0]["id"]
    events = api.call("get", f"orders/{oid}/events").json()["events"]
    assert [e["type"] for e in events] == [
        "draft_completed",
        "authorization_recorded",
        "capture_recorded",
        "refund_recorded",
    ]


def test_draft_is_listed_and_readable_before_completion(api):
    draft = post(api, "draft_orders", SEED_DRAFT)
    assert draft["status"] == "open" and draft["order"]["items"][0]["gross_amount"] == 39800
    assert api.call("get", f"draft_orders/{draft['id']}").json()["id"] == draft["id"]
    listed = api.call("get", "draft_orders").json()
    assert [d["id"] for d in listed["draft_orders"]] == [draft["id"]]


def test_reversal_with_replacement(api):
    oid = original_captured(api)
    done = new_order(api, update_draft(oid))
    assert done["order_id"] == oid
    assert [i["line_id"] for i in done["items"]] == [1, 2, 3]
    assert done["items"][1]["related_item"] == {"line_id": 1, "type": "reversed"}
    assert done["items"][0]["reversed_by"] == [2]
    assert done["gross_amount"] == 39800

    for body in (REVERSED_ITEM, NEW_ITEM):
        post(api, f"orders/{oid}/authorizations", body)
        post(api, f"orders/{oid}/captures", body)
    order = get_order(api, oid)
    assert [figures(i) for i in order["items"]] == [
        (39800, 39800, 0, 0),
        (-39800, -39800, 0, 0),
        (39800, 39800, 0, 0),
    ]
    assert figures(order) == (39800, 39800, 0, 0)
    assert order["payment_status"] == "paid"
    events = [e["type"] for e in api.call("get", f"orders/{oid}/events").json()["events"]]
    assert events.count("order_updated") == 1


def test_reversal_with_refund_line(api):
    oid = original_captured(api)
    refund_line = {
        "id": "refund",
        "line_id": 4,
        "quantity": 1,
        "gross_amount": 1000,
        "tax_lines": [{"amount": 200, "percentage": 25}],
        "description": "Refund of price difference",
        "metadata": {"purpose": "refund"},
    }
    new_order(api, update_draft(oid, [refund_line]))
    post(api, f"orders/{oid}/authorizations", REVERSED_ITEM)
    post(api, f"orders/{oid}/captures", REVERSED_ITEM)
    post(api, f"orders/{oid}/authorizations", NEW_ITEM_AND_REFUND_LINE)
    post(api, f"orders/{oid}/captures", NEW_ITEM_AND_REFUND_LINE)
    refund = post(api, f"orders/{oid}/refunds", REFUND_REMAINING)
    assert refund["amount"] == 1000
    order = get_order(api, oid)
    line_4 = order["items"][3]
    assert figures(line_4) == (1000, 1000, 1000, 0)
    assert line_4["is_refund_line"] is True
    assert figures(order) == (40800, 40800, 1000, 0)
    assert order["payment_status"] == "partially_refunded"


def test_older_document_singular_refund_path(api):
    """The v1 document records the refund at `.../orders/{order_id}/refund`."""
    oid = original_captured(api)
    refund = post(api, f"orders/{oid}/refund", PID_123_LINE_1)
    assert refund["type"] == "refund" and refund["amount"] == 39800
    assert get_order(api, oid)["payment_status"] == "refunded"
    assert [r["id"] for r in api.call("get", f"orders/{oid}/refunds").json()["refunds"]] == [refund["id"]]


def test_extra_authorization_under_a_second_payment_id(api):
    oid = original_captured(api)
    body = update_draft(oid)
    # The replacement costs more than the original: 40800 instead of 39800.
    body["order"]["items"][1]["gross_amount"] = 40800
    body["order"]["items"][1]["tax_lines"] = [{"amount": 8160, "percentage": 25}]
    new_order(api, body)
    post(api, f"orders/{oid}/authorizations", REVERSED_ITEM)
    post(api, f"orders/{oid}/captures", REVERSED_ITEM)
    post(api, f"orders/{oid}/authorizations", NEW_ITEM)
    post(api, f"orders/{oid}/captures", NEW_ITEM)
    partly = get_order(api, oid)
    assert partly["gross_amount"] - partly["authorized_amount"] == 1000
    post(api, f"orders/{oid}/authorizations", EXTRA_AUTHORIZATION)
    post(api, f"orders/{oid}/captures", EXTRA_AUTHORIZATION)

    order = get_order(api, oid)
    assert figures(order["items"][2]) == (40800, 40800, 0, 0)
    assert figures(order) == (40800, 40800, 0, 0)
    assert order["payment_status"] == "paid"
    by_payment = PaymentOperation.objects.filter(order__order_id=oid, kind=OperationKind.AUTHORIZATION)
    assert sorted(by_payment.values_list("payment_id", "amount")) == [
        ("PID_123", -39800),
        ("PID_123", 39800),
        ("PID_123", 39800),
        ("PID_321", 1000),
    ]
    filtered = api.call("get", "orders", {"payment_id": "PID_321"}).json()["orders"]
    assert [o["order_id"] for o in filtered] == [oid]


def test_cancel_an_uncaptured_order(api):
    oid = new_order(api)["order_id"]
    post(api, f"orders/{oid}/authorizations", CHECKOUT_OPERATION)
    cancelled = api.call("post", f"orders/{oid}/cancel")
    assert cancelled.status_code == 200, cancelled.content
    order = cancelled.json()
    assert order["status"] == "cancelled" and order["ledger_status"] == "CANCELLED"
    assert figures(order["items"][0]) == (39800, 0, 0, 39800)
    cancellations = api.call("get", f"orders/{oid}/cancellations").json()["cancellations"]
    assert [(c["amount"], c["payment_details"]["payment_id"]) for c in cancellations] == [
        (39800, "transaction_id")
    ]


def test_cancel_an_order_with_nothing_authorized(api):
    oid = new_order(api)["order_id"]
    response = api.call("post", f"orders/{oid}/cancel")
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["ledger_status"]) == ("cancelled", "CANCELLED")
    assert api.call("get", f"orders/{oid}/cancellations").json() == {"cancellations": []}
