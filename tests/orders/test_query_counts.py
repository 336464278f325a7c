"""Order detail and list endpoints run the same number of SQL queries however many lines,
reversals and operations the orders have; recording an operation, however many lines it names."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.support.api import order_update
from tests.support.orders import item, make_order, record, reversal


def small_order(account):
    return make_order(account, [item(1, 1000)], captured=True, refunded=[(1, 100)])


def large_order(account, api):
    lines = 12
    order = make_order(account, [item(n, 1000 * n) for n in range(1, lines + 1)])
    for n in range(1, lines + 1):
        record(order, "authorization", [(n, 1000 * n)], payment_id=f"PID_{n}")
        record(order, "capture", [(n, 500 * n)])
    record(order, "refund", [(n, 100) for n in range(1, lines + 1)])
    response = order_update(api, order.order_id, [reversal(lines + 1, of=1, gross=400), item(lines + 2, 700)])
    assert response.status_code == 200, response.content
    record(order, "authorization", [(lines + 1, -400)])
    return order


def get(api, path: str, params=None) -> None:
    response = api.call("get", path, params)
    assert response.status_code == 200, response.content


@pytest.mark.parametrize(
    "path",
    [
        "orders/{oid}",
        "orders/{oid}/events",
        "orders/{oid}/authorizations",
        "orders/{oid}/captures",
        "orders/{oid}/refunds",
    ],
)
def test_order_endpoints_run_a_constant_number_of_queries(
    api, account, path, django_assert_max_num_queries, django_assert_num_queries
):
    small, large = small_order(account), large_order(account, api)
    with django_assert_max_num_queries(8) as counted:
        get(api, path.format(oid=small.order_id))
    few = len(counted)
    with django_assert_num_queries(few):
        get(api, path.format(oid=large.order_id))


def test_order_list_runs_a_constant_number_of_queries(
    api, account, django_assert_max_num_queries, django_assert_num_queries
):
    small_order(account)
    with django_assert_max_num_queries(8) as counted:
        get(api, "orders")
    few = len(counted)
    for _ in range(4):
        large_order(account, api)
    with django_assert_num_queries(few):
        get(api, "orders")
    # A search adds its read of the newest orders, an index lookup per rare word and its three
    # whole-value lookups (SKU, payment id, merchant reference: orders.selectors.search_plan),
    # whatever the data; on PostgreSQL, for a word that a few of the newest orders hold, its
    # estimate of the orders (`_orders_estimate`).
    with django_assert_num_queries(few + 5 + (connection.vendor == "postgresql")):
        get(api, "orders", {"payment_status": "partially_refunded", "search": "PID_3"})


def test_draft_list_runs_a_constant_number_of_queries(api, account, django_assert_num_queries):
    api.call("post", "draft_orders", {"order": {"currency": "NOK", "items": [item(1, 100)]}})
    with CaptureQueriesContext(connection) as counted:
        get(api, "draft_orders")
    few = len(counted)
    order = small_order(account)
    for n in range(5):
        body = {
            "options": {"order_id": order.order_id},
            "order": {"currency": "NOK", "items": [item(2 + n, 1)]},
        }
        draft = api.call("post", "draft_orders", body).json()
        if n % 2:
            api.call("put", f"draft_orders/{draft['id']}/complete")
    with django_assert_num_queries(few):
        get(api, "draft_orders")


def test_recording_an_operation_runs_the_same_queries_for_one_line_or_many(
    api, account, django_assert_max_num_queries, django_assert_num_queries
):
    order = make_order(account, [item(n, 1000) for n in range(1, 9)], authorized=True)

    def capture(lines: list[int]) -> None:
        items = [{"line_id": n, "amount": 500} for n in lines]
        body = {"items": items, "payment_details": {"payment_id": "P"}}
        response = api.call("post", f"orders/{order.order_id}/captures", body)
        assert response.status_code == 201, response.content

    # Two of them read what provider calls under way hold and which webhooks want the event;
    # the last writes the items' CSV rows and the finance rollup (two statements on SQLite).
    # The order is found as it is locked.
    with django_assert_max_num_queries(13 + (connection.vendor != "postgresql")) as one:
        capture([1])
    with django_assert_num_queries(len(one)):
        capture(list(range(2, 9)))
