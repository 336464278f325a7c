"""Dintero's vocabularies on the Orders API: order `status` open | closed | cancelled, draft
`status` open | completed | deleted, `payment_status` pending | partially_paid | paid |
partially_refunded | refunded, in answers and as filter values.

Dintero: https://docs.dintero.com/orders-api.html (changelog, 2019-05-01: the filters and their
values) and https://docs.dintero.com/api-reference/draft/complete-a-draft-order (the Order
example: `"status": "open"`, `"payment_status": "pending"`). Our finer ledger state answers as
`ledger_status`, with a filter of its own.
"""

import itertools

import pytest

from orders.ledger import (
    DinteroPaymentStatus,
    Figures,
    PaymentStatus,
    dintero_payment_status,
    dintero_payment_status_q,
)
from orders.models import Order
from orders.services.operations import order_cancel
from tests.support.api import assert_error
from tests.support.orders import SEED_DRAFT, TEST_ACTOR, item, make_order, record


def listed(api, listing: str, **params) -> list[dict]:
    response = api.call("get", listing, params)
    assert response.status_code == 200, response.content
    return response.json()[listing]


@pytest.mark.parametrize(
    ("figures", "expected"),
    [
        (Figures(gross=1000), "pending"),
        (Figures(gross=1000, authorized=1000), "pending"),
        (Figures(gross=1000, authorized=1000, cancelled=1000), "pending"),
        (Figures(gross=1000, authorized=1000, captured=400), "partially_paid"),
        (Figures(gross=1000, authorized=500, captured=500), "partially_paid"),
        (Figures(gross=1000, authorized=1000, captured=1000), "paid"),
        (Figures(gross=1000, authorized=1000, captured=600, cancelled=400), "paid"),
        (Figures(gross=1000, authorized=1000, captured=1000, refunded=1), "partially_refunded"),
        (Figures(gross=1000, authorized=1000, captured=1000, refunded=1000), "refunded"),
        (Figures(gross=1000, authorized=1000, captured=400, refunded=400), "refunded"),
    ],
)
def test_the_rule_written_in_the_readme(figures, expected):
    assert dintero_payment_status(figures) == expected


def test_the_list_filter_answers_as_the_rule(account):
    """`dintero_payment_status_q` is the same rule as a query: every combination of small totals
    lands in exactly the status the rule gives it."""
    amounts = (0, 500, 1000)
    expected = {}
    for a, c, r, x in itertools.product(amounts, repeat=4):
        if c > a or r > c or c + x > a:
            continue
        order = make_order(account, [item(1, 1000)])
        Order.objects.filter(pk=order.pk).update(
            authorized_amount=a, captured_amount=c, refunded_amount=r, cancelled_amount=x
        )
        expected[order.pk] = dintero_payment_status(Figures(1000, a, c, r, x))
    for value in DinteroPaymentStatus:
        found = set(Order.objects.filter(dintero_payment_status_q(value)).values_list("pk", flat=True))
        assert found == {pk for pk, status in expected.items() if status == value}, value


def test_an_order_answers_dinteros_words_and_our_ledger_state(api, account):
    order = make_order(account)
    shown = api.call("get", f"orders/{order.order_id}").json()
    assert (shown["status"], shown["payment_status"]) == ("open", "pending")
    assert shown["ledger_status"] == "PENDING"
    record(order, "authorization", [(1, 39800)])
    record(order, "capture", [(1, 10000)])
    shown = api.call("get", f"orders/{order.order_id}").json()
    assert (shown["payment_status"], shown["ledger_status"]) == ("partially_paid", "PARTIALLY_CAPTURED")
    record(order, "capture", [(1, 29800)])
    record(order, "refund", [(1, 100)])
    shown = api.call("get", f"orders/{order.order_id}").json()
    assert (shown["payment_status"], shown["ledger_status"]) == ("partially_refunded", "PARTIALLY_REFUNDED")


def test_a_cancelled_order(api, account):
    order = make_order(account, authorized=True)
    order_cancel(order=order, actor=TEST_ACTOR, reason="")
    shown = api.call("get", f"orders/{order.order_id}").json()
    assert (shown["status"], shown["payment_status"], shown["ledger_status"]) == (
        "cancelled",
        "pending",
        "CANCELLED",
    )


@pytest.fixture
def orders(account) -> dict[str, str]:
    """One order per state, told apart by their merchant_reference."""
    made = {
        "open_pending": make_order(account, merchant_reference="P1"),
        "authorized": make_order(account, authorized=True, merchant_reference="A1"),
        "paid": make_order(account, captured=True, merchant_reference="C1"),
        "partial": make_order(account, authorized=True, captured=[(1, 100)], merchant_reference="PP1"),
        "refunded": make_order(account, refunded=True, merchant_reference="R1"),
        "cancelled": make_order(account, merchant_reference="X1"),
    }
    order_cancel(order=made["cancelled"], actor=TEST_ACTOR, reason="")
    return {key: order.merchant_reference for key, order in made.items()}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "open"}, {"P1", "A1", "C1", "PP1", "R1"}),
        ({"status": "cancelled"}, {"X1"}),
        ({"status": "closed"}, set()),
        ({"payment_status": "pending"}, {"P1", "A1", "X1"}),
        ({"payment_status": "partially_paid"}, {"PP1"}),
        ({"payment_status": "paid"}, {"C1"}),
        ({"payment_status": "refunded"}, {"R1"}),
        ({"payment_status": "partially_refunded"}, set()),
        ({"status": "open", "payment_status": "pending"}, {"P1", "A1"}),
        ({"ledger_status": "AUTHORIZED"}, {"A1"}),
        ({"ledger_status": "CANCELLED"}, {"X1"}),
        ({"ledger_status": "PARTIALLY_CAPTURED"}, {"PP1"}),
    ],
)
def test_order_filters_take_dinteros_values(api, orders, params, expected):
    assert {o["merchant_reference"] for o in listed(api, "orders", **params)} == expected


@pytest.mark.parametrize(
    "params", [{"status": "ACTIVE"}, {"payment_status": "CAPTURED"}, {"ledger_status": "paid"}]
)
def test_a_value_of_the_other_vocabulary_is_a_400_naming_the_filter(api, orders, params):
    (name,) = params
    error = assert_error(api.call("get", "orders", params), 400, "invalid_request")
    assert error["errors"][0]["field"] == name


def test_draft_status_answers_and_filters_in_dinteros_words(api, account):
    open_draft = api.call("post", "draft_orders", SEED_DRAFT).json()
    done = api.call("post", "draft_orders", SEED_DRAFT).json()
    assert api.call("put", f"draft_orders/{done['id']}/complete", {}).status_code == 200
    assert open_draft["status"] == "open"
    assert api.call("get", f"draft_orders/{done['id']}").json()["status"] == "completed"
    assert [d["id"] for d in listed(api, "draft_orders", status="open")] == [open_draft["id"]]
    assert [d["id"] for d in listed(api, "draft_orders", status="completed")] == [done["id"]]
    assert listed(api, "draft_orders", status="deleted") == []
    assert len(listed(api, "draft_orders")) == 2
    assert_error(api.call("get", "draft_orders", {"status": "OPEN"}), 400, "invalid_request", "status")


def test_the_staff_pages_keep_our_ledger_state(account):
    order = make_order(account, authorized=True)
    assert Order.objects.get(pk=order.pk).payment_status == PaymentStatus.AUTHORIZED


def test_an_operation_leaves_out_what_was_not_set(api, account):
    """Dintero answers `authorization_id`, `processed_at` and `processed_by` only when they were
    set (docs.dintero.com, Orders API: the capture object)."""
    from tests.support.orders import make_order

    order = make_order(account)
    body = {"items": [{"line_id": 1, "amount": 39800}], "payment_details": {"payment_id": "P1"}}
    plain = api.call("post", f"orders/{order.order_id}/authorizations", body).json()
    assert not {"authorization_id", "processed_at", "processed_by"} & set(plain)
    full = {**body, "authorization_id": "A-1", "processed_at": "2026-01-02T03:04:05Z", "processed_by": "ERP"}
    order2 = make_order(account)
    shown = api.call("post", f"orders/{order2.order_id}/authorizations", full).json()
    assert shown["authorization_id"] == "A-1" and shown["processed_by"] == "ERP"
    assert shown["processed_at"].startswith("2026-01-02")
