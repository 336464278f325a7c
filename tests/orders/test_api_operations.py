"""Recorded operations over HTTP: every ledger rule of the spec with its bad case. A refusal
answers the error body with a message naming the line and the amounts, and writes nothing."""

import pytest

from orders.models import EventKind, OperationKind, PaymentOperation
from tests.support.api import assert_error, draft_new, operation_new, order_new, order_update, snapshot
from tests.support.orders import draft_body, line, op_body, reversal

KINDS = ["authorizations", "captures", "refunds", "cancellations"]


def refused(api, order_id: str, kind: str, body, status: int, code: str | None, *words: str) -> dict:
    before = snapshot()
    error = assert_error(api.call("post", f"orders/{order_id}/{kind}", body), status, code, *words)
    assert snapshot() == before
    return error


@pytest.fixture
def order(api) -> dict:
    """Line 1 of 39800 and line 2 of 10000, nothing paid."""
    return order_new(api, [line(1, 39800, quantity=2), line(2, 10000)])


def test_over_authorize(api, order):
    oid = order["order_id"]
    refused(
        api, oid, "authorizations", op_body([(1, 39801)]), 409, "ledger_conflict", "line 1", "39801", "39800"
    )
    operation_new(api, oid, "authorizations", [(1, 30000)])
    error = refused(
        api, oid, "authorizations", op_body([(1, 9801)], "PID_2"), 409, "ledger_conflict", "9801", "9800"
    )
    assert error["errors"] == [
        {
            "field": "items[0].amount",
            "message": "line 1: authorization 9801 exceeds the remaining to authorize 9800",
        }
    ]


def test_several_authorizations_may_add_up_to_the_gross(api, order):
    oid = order["order_id"]
    operation_new(api, oid, "authorizations", [(1, 30000)], "PID_1")
    operation_new(api, oid, "authorizations", [(1, 9800)], "PID_2")
    shown = api.call("get", f"orders/{oid}").json()
    assert shown["items"][0]["authorized_amount"] == 39800
    assert (shown["payment_status"], shown["ledger_status"]) == ("pending", "PARTIALLY_AUTHORIZED")


def test_an_operations_items_read_the_same_however_it_is_read(api, order):
    oid = order["order_id"]
    recorded = operation_new(api, oid, "authorizations", [(2, 10000), (1, 39800)])
    items = [{"line_id": 1, "amount": 39800}, {"line_id": 2, "amount": 10000}]
    assert recorded["items"] == items  # in line order, as written
    listed = api.call("get", f"orders/{oid}/authorizations").json()["authorizations"]
    one = api.call("get", f"orders/{oid}/authorizations/{recorded['id']}").json()
    assert listed[0]["items"] == one["items"] == items
    alone = PaymentOperation.objects.get(pk=recorded["id"])  # no selector: it reads its own
    assert [(i.line_number, i.amount) for i in alone.item_list] == [(1, 39800), (2, 10000)]


def test_capture_before_authorization(api, order):
    refused(
        api, order["order_id"], "captures", op_body([(1, 100)]), 409, "ledger_conflict", "line 1", "100", " 0"
    )


def test_over_capture(api, order):
    oid = order["order_id"]
    operation_new(api, oid, "authorizations", [(1, 20000)])
    refused(api, oid, "captures", op_body([(1, 20001)]), 409, "ledger_conflict", "line 1", "20001", "20000")
    operation_new(api, oid, "captures", [(1, 15000)])
    refused(api, oid, "captures", op_body([(1, 5001)]), 409, "ledger_conflict", "5001", "5000")


def test_refund_before_capture_and_over_refund(api, order):
    oid = order["order_id"]
    operation_new(api, oid, "authorizations", [(1, 39800)])
    refused(api, oid, "refunds", op_body([(1, 1)]), 409, "ledger_conflict", "line 1", "refund 1")
    operation_new(api, oid, "captures", [(1, 20000)])
    refused(api, oid, "refunds", op_body([(1, 20001)]), 409, "ledger_conflict", "20001", "20000")
    operation_new(api, oid, "refunds", [(1, 20000)])
    refused(api, oid, "refunds", op_body([(1, 1)]), 409, "ledger_conflict", "refundable 0")


def test_one_bad_item_refuses_the_whole_operation(api, order):
    oid = order["order_id"]
    error = refused(
        api, oid, "authorizations", op_body([(1, 39800), (2, 10001)]), 409, "ledger_conflict", "line 2"
    )
    assert [e["field"] for e in error["errors"]] == ["items[1].amount"]


def test_partial_cancellation_of_uncaptured_amounts(api, order):
    oid = order["order_id"]
    operation_new(api, oid, "authorizations", [(1, 39800), (2, 10000)])
    operation_new(api, oid, "captures", [(1, 20000)])
    refused(api, oid, "cancellations", op_body([(1, 19801)]), 409, "ledger_conflict", "19801", "19800")
    cancelled = operation_new(api, oid, "cancellations", [(1, 19800), (2, 4000)])
    assert cancelled["amount"] == 23800
    shown = api.call("get", f"orders/{oid}").json()
    assert [(i["captured_amount"], i["cancelled_amount"]) for i in shown["items"]] == [
        (20000, 19800),
        (0, 4000),
    ]
    assert shown["status"] == "open"
    # What is cancelled can no longer be captured.
    refused(api, oid, "captures", op_body([(2, 6001)]), 409, "ledger_conflict", "line 2", "6001", "6000")
    operation_new(api, oid, "captures", [(2, 6000)])
    shown = api.call("get", f"orders/{oid}").json()
    assert (shown["payment_status"], shown["ledger_status"]) == ("paid", "CAPTURED")


def test_cancelling_every_authorized_amount_makes_the_payment_cancelled(api, order):
    oid = order["order_id"]
    operation_new(api, oid, "authorizations", [(1, 39800)])
    operation_new(api, oid, "cancellations", [(1, 39800)])
    shown = api.call("get", f"orders/{oid}").json()
    assert (shown["payment_status"], shown["ledger_status"]) == ("pending", "CANCELLED")


def test_cancel_after_capture_is_refused(api, order):
    oid = order["order_id"]
    operation_new(api, oid, "authorizations", [(1, 39800)])
    operation_new(api, oid, "captures", [(1, 100)])
    before = snapshot()
    assert_error(api.call("post", f"orders/{oid}/cancel"), 409, "ledger_conflict", "line 1", "100")
    assert snapshot() == before


def test_cancel_after_a_full_refund_is_still_refused(api, order):
    oid = order["order_id"]
    operation_new(api, oid, "authorizations", [(1, 39800)])
    operation_new(api, oid, "captures", [(1, 39800)])
    operation_new(api, oid, "refunds", [(1, 39800)])
    before = snapshot()
    assert_error(api.call("post", f"orders/{oid}/cancel"), 409, "ledger_conflict")
    assert snapshot() == before


def test_whole_order_cancel_records_one_cancellation_per_payment_id(api, order):
    oid = order["order_id"]
    operation_new(api, oid, "authorizations", [(1, 30000)], "PID_A")
    operation_new(api, oid, "authorizations", [(1, 9800), (2, 10000)], "PID_B")
    operation_new(api, oid, "cancellations", [(1, 5000)], "PID_A")
    operation_new(api, oid, "cancellations", [(2, 10000)], "PID_B")
    response = api.call("post", f"orders/{oid}/cancel", {"reason": "customer changed their mind"})
    assert response.status_code == 200, response.content
    shown = response.json()
    assert (shown["status"], shown["payment_status"], shown["ledger_status"]) == (
        "cancelled",
        "pending",
        "CANCELLED",
    )
    assert [(i["authorized_amount"], i["cancelled_amount"]) for i in shown["items"]] == [
        (39800, 39800),
        (10000, 10000),
    ]
    whole = PaymentOperation.objects.filter(
        order__order_id=oid, kind=OperationKind.CANCELLATION, metadata__reason="order cancelled"
    )
    assert sorted((op.payment_id, [(i.line.line_id, i.amount) for i in op.items.all()]) for op in whole) == [
        ("PID_A", [(1, 25000)]),
        ("PID_B", [(1, 9800)]),
    ]
    events = api.call("get", f"orders/{oid}/events").json()["events"]
    assert events[-1]["type"] == EventKind.ORDER_CANCELLED
    assert "customer changed their mind" in events[-1]["summary"]


def test_cancel_of_an_order_with_reversal_lines(api, order):
    oid = order["order_id"]
    operation_new(api, oid, "authorizations", [(1, 39800)])
    assert order_update(api, oid, [reversal(3, of=1, gross=19900)]).status_code == 200
    operation_new(api, oid, "authorizations", [(3, -19900)])
    response = api.call("post", f"orders/{oid}/cancel")
    assert response.status_code == 200, response.content
    items = response.json()["items"]
    assert [(i["line_id"], i["cancelled_amount"]) for i in items] == [(1, 39800), (2, 0), (3, -19900)]


@pytest.mark.parametrize("kind", KINDS)
def test_nothing_after_cancel(api, order, kind):
    oid = order["order_id"]
    operation_new(api, oid, "authorizations", [(1, 20000)])
    assert api.call("post", f"orders/{oid}/cancel").status_code == 200
    error = refused(api, oid, kind, op_body([(1, 100)]), 409, None, oid)
    assert error["code"] in ("order_cancelled", "ledger_conflict")


def test_cancelling_twice_and_updating_a_cancelled_order_are_refused(api, order):
    oid = order["order_id"]
    assert api.call("post", f"orders/{oid}/cancel").status_code == 200
    before = snapshot()
    assert_error(api.call("post", f"orders/{oid}/cancel"), 409, "order_cancelled", oid)
    assert snapshot() == before
    draft = draft_new(api, draft_body([line(3, 100)], order_id=oid))
    before = snapshot()
    assert_error(api.call("put", f"draft_orders/{draft['id']}/complete"), 409, "order_cancelled", oid)
    assert snapshot() == before


def test_failed_operations_are_history_and_move_no_money(api, order):
    oid = order["order_id"]
    before = api.call("get", f"orders/{oid}").json()
    failed = api.call("post", f"orders/{oid}/authorizations", op_body([(1, 39800)], success=False))
    assert failed.status_code == 201, failed.content
    assert failed.json()["success"] is False
    after = api.call("get", f"orders/{oid}").json()
    for key in ("authorized_amount", "captured_amount", "payment_status"):
        assert after[key] == before[key]
    assert after["items"][0]["authorized_amount"] == 0
    listed = api.call("get", f"orders/{oid}/authorizations").json()["authorizations"]
    assert [(a["amount"], a["success"]) for a in listed] == [(39800, False)]
    events = api.call("get", f"orders/{oid}/events").json()["events"]
    assert events[-1]["type"] == "operation_failed"
    # A failed capture of money never authorized is history too, and still moves nothing.
    assert api.call("post", f"orders/{oid}/captures", op_body([(1, 500)], success=False)).status_code == 201
    assert api.call("get", f"orders/{oid}").json()["items"][0]["captured_amount"] == 0
    operation_new(api, oid, "authorizations", [(1, 39800)])


BAD_OPERATIONS = [
    pytest.param(op_body([(9, 100)]), "items[0].line_id", "9", id="unknown-line"),
    pytest.param(op_body([(1, 0)]), "items[0].amount", "zero", id="zero-amount"),
    pytest.param(
        {**op_body([]), "items": [{"line_id": 1, "amount": 100.0}]}, "items[0].amount", "100.0", id="float"
    ),
    pytest.param(
        {**op_body([]), "items": [{"line_id": 1, "amount": "100"}]}, "items[0].amount", "100", id="string"
    ),
    pytest.param(
        {**op_body([]), "items": [{"line_id": 1, "amount": True}]}, "items[0].amount", "True", id="bool"
    ),
    pytest.param(
        {**op_body([]), "items": [{"line_id": 1, "amount": None}]}, "items[0].amount", "", id="null"
    ),
    pytest.param({**op_body([]), "items": [{"line_id": 1}]}, "items[0].amount", "", id="no-amount"),
    pytest.param({**op_body([]), "items": [{"amount": 100}]}, "items[0].line_id", "", id="no-line-id"),
    pytest.param(
        {**op_body([]), "items": [{"line_id": 1, "amount": 10**20}]}, "items[0].amount", "range", id="huge"
    ),
    pytest.param(op_body([(1, 100), (1, 200)]), "items[1].line_id", "twice", id="duplicate-line"),
    pytest.param(op_body([]), "items", "", id="no-items"),
    pytest.param({**op_body([(1, 100)]), "items": {"line_id": 1}}, "items", "", id="items-object"),
    pytest.param({**op_body([(1, 100)]), "items": ["x"]}, "items[0]", "", id="item-string"),
    pytest.param(
        {"items": [{"line_id": 1, "amount": 100}], "success": True},
        "payment_details.payment_id",
        "",
        id="no-payment-id",
    ),
    pytest.param(
        {**op_body([(1, 100)]), "payment_details": {"payment_id": 123}},
        "payment_details.payment_id",
        "",
        id="numeric-payment-id",
    ),
    pytest.param(
        {**op_body([(1, 100)]), "payment_details": "PID"}, "payment_details", "", id="details-string"
    ),
    pytest.param({**op_body([(1, 100)]), "success": "yes"}, "success", "", id="success-string"),
    pytest.param({**op_body([(1, 100)]), "processed_at": "yesterday"}, "processed_at", "", id="processed-at"),
    pytest.param(
        {**op_body([(1, 100)]), "processed_at": "2024-02-30T10:00:00Z"},
        "processed_at",
        "",
        id="processed-at-no-such-day",
    ),
    pytest.param({**op_body([(1, 100)]), "metadata": [1]}, "metadata", "", id="metadata-list"),
    pytest.param([op_body([(1, 100)])], "", "object", id="list-body"),
    pytest.param("capture", "", "object", id="string-body"),
]


@pytest.mark.parametrize("body, field, word", BAD_OPERATIONS)
def test_invalid_operations_are_400_and_write_nothing(api, order, body, field, word):
    for kind in [*KINDS, "refund"]:
        error = refused(api, order["order_id"], kind, body, 400, "invalid_request", word)
        assert field in [e["field"] for e in error["errors"]], (kind, error)


@pytest.mark.parametrize("kind", KINDS)
def test_wrong_sign_is_a_ledger_conflict(api, order, kind):
    error = refused(
        api, order["order_id"], kind, op_body([(1, -100)]), 409, "ledger_conflict", "line 1", "-100"
    )
    assert error["errors"] == [
        {
            "field": "items[0].amount",
            "message": f"line 1: {kind.rstrip('s')} -100 has the wrong sign, the line is not a reversal: "
            "its amounts are positive",
        }
    ]


def test_an_unknown_line_among_good_ones_is_400(api, order):
    error = refused(
        api, order["order_id"], "captures", op_body([(1, 100), (7, 5)]), 400, "invalid_request", "7"
    )
    assert [e["field"] for e in error["errors"]] == ["items[1].line_id"]


def test_wrong_sign_on_a_reversal_line(api, order):
    oid = order["order_id"]
    assert order_update(api, oid, [reversal(3, of=1, gross=39800, quantity=2)]).status_code == 200
    refused(
        api,
        oid,
        "authorizations",
        op_body([(3, 39800)]),
        409,
        "ledger_conflict",
        "line 3",
        "39800",
        "negative",
    )
    operation_new(api, oid, "authorizations", [(3, -39800)])
    refused(api, oid, "authorizations", op_body([(3, -1)]), 409, "ledger_conflict", "line 3", "-1", " 0")


def test_optional_fields_are_kept(api, order):
    oid = order["order_id"]
    body = {
        **op_body([(1, 100)]),
        "authorization_id": "auth-1",
        "processed_at": "2024-05-01T10:00:00+02:00",
        "processed_by": "ERP",
        "metadata": {"batch": 7},
    }
    body["payment_details"]["card"] = {"brand": "VISA"}
    response = api.call("post", f"orders/{oid}/authorizations", body)
    assert response.status_code == 201, response.content
    shown = response.json()
    assert shown["authorization_id"] == "auth-1" and shown["processed_by"] == "ERP"
    assert shown["metadata"] == {"batch": 7}
    assert shown["payment_details"] == {"payment_id": "PID_123", "card": {"brand": "VISA"}}
    assert shown["processed_at"].startswith("2024-05-01")


@pytest.mark.parametrize("kind", [*KINDS, "refund"])
def test_unknown_order_is_404(api, kind):
    before = snapshot()
    assert_error(
        api.call("post", f"orders/NOSUCHORD/{kind}", op_body([(1, 100)])), 404, "not_found", "NOSUCHORD"
    )
    assert_error(api.call("get", f"orders/NOSUCHORD/{kind}"), 404, "not_found")
    assert snapshot() == before


@pytest.mark.parametrize("operation_id", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_unknown_operation_is_404(api, order, operation_id):
    assert_error(api.call("get", f"orders/{order['order_id']}/captures/{operation_id}"), 404, "not_found")


def test_an_operation_of_another_kind_is_not_found_under_this_kind(api, order):
    oid = order["order_id"]
    authorization = operation_new(api, oid, "authorizations", [(1, 100)])
    assert_error(api.call("get", f"orders/{oid}/captures/{authorization['id']}"), 404, "not_found")


def test_methods_not_allowed_answer_the_error_body(api, order):
    oid = order["order_id"]
    assert_error(api.call("delete", f"orders/{oid}"), 405, "method_not_allowed")
    assert_error(api.call("put", f"orders/{oid}/captures", op_body([(1, 1)])), 405)
    assert_error(api.call("get", f"orders/{oid}/cancel"), 405)
