"""Reversal lines: a reversal names an existing, non-reversal line of the same order, and all
reversals of a line together never exceed its gross amount or its quantity."""

import pytest

from tests.support.api import (
    assert_error,
    complete,
    draft_new,
    operation_new,
    order_new,
    order_update,
    snapshot,
)
from tests.support.orders import draft_body, line, reversal


@pytest.fixture
def order(api) -> dict:
    """Line 1: two chairs for 39800; line 2: 10000."""
    return order_new(api, [line(1, 39800, quantity=2), line(2, 10000)])


def refused_update(api, order_id: str, items: list[dict], status: int, code: str, *words: str) -> dict:
    draft = draft_new(api, draft_body(items, order_id=order_id))
    before = snapshot()
    error = assert_error(complete(api, draft["id"]), status, code, *words)
    assert snapshot() == before
    assert api.call("get", f"draft_orders/{draft['id']}").json()["status"] == "open"
    return error


def test_partial_reversals_up_to_the_whole_line(api, order):
    oid = order["order_id"]
    first = order_update(api, oid, [reversal(3, of=1, gross=19900)])
    assert first.status_code == 200, first.content
    assert first.json()["orders"][0]["gross_amount"] == 39800 + 10000 - 19900
    second = order_update(api, oid, [reversal(4, of=1, gross=19900)])
    assert second.status_code == 200, second.content
    shown = second.json()["orders"][0]
    assert shown["gross_amount"] == 10000
    assert shown["items"][0]["reversed_by"] == [3, 4]
    assert shown["tax_amount"] == 7960 + 2000 - 3980 - 3980


def test_reversal_beyond_the_original_amount(api, order):
    error = refused_update(
        api,
        order["order_id"],
        [reversal(3, of=1, gross=39801)],
        409,
        "reversal_conflict",
        "line 3",
        "39801",
        "39800",
    )
    assert "line 1" in error["message"]


def test_reversal_beyond_the_original_quantity(api, order):
    refused_update(
        api,
        order["order_id"],
        [reversal(3, of=2, gross=5000, quantity=2)],
        409,
        "reversal_conflict",
        "quantity 2",
    )


def test_two_reversals_in_one_draft_together_beyond_the_original(api, order):
    refused_update(
        api,
        order["order_id"],
        [reversal(3, of=1, gross=20000), reversal(4, of=1, gross=20000)],
        409,
        "reversal_conflict",
        "40000",
        "39800",
    )


def test_reversal_beyond_the_original_across_two_update_drafts(api, order):
    oid = order["order_id"]
    assert order_update(api, oid, [reversal(3, of=1, gross=20000)]).status_code == 200
    refused_update(
        api, oid, [reversal(4, of=1, gross=20000)], 409, "reversal_conflict", "20000", "19800", "line 1"
    )


def test_reversal_quantity_across_two_update_drafts(api, order):
    oid = order["order_id"]
    assert order_update(api, oid, [reversal(3, of=1, gross=100, quantity=2)]).status_code == 200
    refused_update(api, oid, [reversal(4, of=1, gross=100)], 409, "reversal_conflict", "quantity 1", " 0 ")


def test_two_open_drafts_that_only_together_exceed_the_line(api, order):
    """Both drafts are fine on their own; the second completion sees the first's reversal."""
    oid = order["order_id"]
    first = draft_new(api, draft_body([reversal(3, of=1, gross=30000)], order_id=oid))
    second = draft_new(api, draft_body([reversal(4, of=1, gross=30000)], order_id=oid))
    assert complete(api, first["id"]).status_code == 200
    before = snapshot()
    assert_error(complete(api, second["id"]), 409, None, "line")
    assert snapshot() == before


def test_reversal_of_a_missing_line(api, order):
    refused_update(
        api, order["order_id"], [reversal(3, of=9, gross=100)], 400, "invalid_request", "no line 9"
    )


def test_reversal_of_a_line_of_the_same_draft(api, order):
    refused_update(
        api,
        order["order_id"],
        [line(3, 1000), reversal(4, of=3, gross=1000)],
        400,
        "invalid_request",
        "no line 3",
    )


def test_reversal_of_a_reversal(api, order):
    oid = order["order_id"]
    assert order_update(api, oid, [reversal(3, of=1, gross=10000)]).status_code == 200
    refused_update(api, oid, [reversal(4, of=3, gross=100)], 409, "reversal_conflict", "line 4", "line 3")


def test_update_lines_must_use_new_line_ids(api, order):
    error = refused_update(api, order["order_id"], [line(2, 100)], 409, "conflict", "line_id 2")
    assert error["errors"][0]["field"] == "order.items[0].line_id"
    assert "start at 3" in error["errors"][0]["message"]


def test_line_ids_are_never_reused_even_after_a_draft_removed_lines(api, order):
    oid = order["order_id"]
    assert order_update(api, oid, [line(7, 100)]).status_code == 200
    refused_update(api, oid, [line(5, 100)], 409, "conflict", "start at 8")


def test_update_in_another_currency(api, order):
    body = draft_body([line(3, 100)], order_id=order["order_id"], currency="SEK")
    draft = draft_new(api, body)
    before = snapshot()
    assert_error(complete(api, draft["id"]), 400, "invalid_request", "NOK", "SEK")
    assert snapshot() == before


def test_a_reversal_must_be_negative_and_only_a_reversal_may_be(api, order):
    before = snapshot()
    positive = reversal(3, of=1, gross=100)
    positive["gross_amount"], positive["tax_lines"] = 100, [{"amount": 20, "percentage": 25}]
    body = draft_body([positive], order_id=order["order_id"])
    assert_error(api.call("post", "draft_orders", body), 400, "invalid_request", "negative")
    negative = line(3, -100)
    body = draft_body([negative], order_id=order["order_id"])
    assert_error(api.call("post", "draft_orders", body), 400, "invalid_request", "reversal")
    assert snapshot() == before


def test_reversal_of_a_paid_line_is_settled_with_negative_amounts(api, order):
    oid = order["order_id"]
    operation_new(api, oid, "authorizations", [(1, 39800)])
    operation_new(api, oid, "captures", [(1, 39800)])
    assert order_update(api, oid, [reversal(3, of=1, gross=19900)]).status_code == 200
    operation_new(api, oid, "authorizations", [(3, -19900)])
    operation_new(api, oid, "captures", [(3, -19900)])
    # Refunds on a reversal line are negative too, and bounded by what it captured.
    assert_error(
        api.call(
            "post",
            f"orders/{oid}/refunds",
            {"items": [{"line_id": 3, "amount": -19901}], "payment_details": {"payment_id": "PID_123"}},
        ),
        409,
        "ledger_conflict",
        "-19901",
        "-19900",
    )
    shown = api.call("get", f"orders/{oid}").json()
    assert shown["items"][2]["captured_amount"] == -19900
    assert (shown["authorized_amount"], shown["captured_amount"]) == (19900, 19900)
    assert shown["gross_amount"] == 29900


def test_lines_without_a_line_id_in_an_update_draft_get_new_ones(api, order):
    oid = order["order_id"]
    assert order_update(api, oid, [line(4, 100)]).status_code == 200
    unnumbered = reversal(0, of=1, gross=1000)
    del unnumbered["line_id"]
    draft = draft_new(api, draft_body([unnumbered], order_id=oid))
    assert [i["line_id"] for i in draft["order"]["items"]] == [5]
    extra = line(0, 500)
    del extra["line_id"]
    added = api.call("post", f"draft_orders/{draft['id']}/items", extra)
    assert [i["line_id"] for i in added.json()["order"]["items"]] == [5, 6]
    replaced = api.call("put", f"draft_orders/{draft['id']}", draft_body([extra, line(9, 100)], order_id=oid))
    assert [i["line_id"] for i in replaced.json()["order"]["items"]] == [10, 9]
    done = complete(api, draft["id"])
    assert done.status_code == 200, done.content
    assert [i["line_id"] for i in done.json()["orders"][0]["items"]] == [1, 2, 4, 9, 10]
