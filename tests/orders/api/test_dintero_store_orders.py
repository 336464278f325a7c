"""A store's orders: `GET …/shopping/stores/{store_id}/orders` and
`GET …/shopping/stores/{store_id}/orders/{order_id}`
(https://docs.dintero.com/api-reference/storeorder/get-order), `store_id` being the order's
`store.id` as the draft set it (`store` or `store_id`). The list filters and pages as all orders
do (Dintero's changelog, 2019-05-01: store orders filter by status, payment_status and
created_at, https://docs.dintero.com/orders-api.html)."""

import pytest

from orders.services.status import order_close
from tests.support.api import assert_error, complete, draft_new
from tests.support.orders import TEST_ACTOR, line, make_order


def _store_order(api, store: dict | None = None, store_id: str | None = None) -> dict:
    order = {"currency": "NOK", "items": [line(1, 39800)]}
    if store is not None:
        order["store"] = store
    if store_id is not None:
        order["store_id"] = store_id
    draft = draft_new(api, {"options": {"generate_order_id": "ALPHANUMERIC_9"}, "order": order})
    response = complete(api, draft["id"])
    assert response.status_code == 200, response.content
    return response.json()["orders"][0]


def _listed(api, store_id: str, **params) -> list[str]:
    response = api.call("get", f"stores/{store_id}/orders", params)
    assert response.status_code == 200, response.content
    return [o["order_id"] for o in response.json()["orders"]]


def test_a_store_lists_its_own_orders_newest_first(api):
    a1 = _store_order(api, store={"id": "S1", "name": "Storgata"})
    b = _store_order(api, store_id="S2")
    a2 = _store_order(api, store_id="S1")
    _store_order(api)

    assert _listed(api, "S1") == [a2["order_id"], a1["order_id"]]
    assert _listed(api, "S2") == [b["order_id"]]
    assert _listed(api, "S3") == []


def test_one_order_of_a_store(api):
    order = _store_order(api, store={"id": "S1", "name": "Storgata"})

    response = api.call("get", f"stores/S1/orders/{order['order_id']}")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["order_id"] == order["order_id"] and body["store"] == {"id": "S1", "name": "Storgata"}
    with_events = api.call("get", f"stores/S1/orders/{order['order_id']}", {"include_events": "1"}).json()
    assert [e["type"] for e in with_events["events"]] == ["draft_completed"]


def test_another_stores_order_is_a_404(api):
    order = _store_order(api, store_id="S1")
    assert_error(api.call("get", f"stores/S2/orders/{order['order_id']}"), 404, "not_found", "S2")
    assert_error(api.call("get", "stores/S1/orders/NOPE"), 404, "not_found")


def test_another_accounts_store_orders_are_not_seen(api, other_account):
    theirs = make_order(other_account, store={"id": "S1"})
    assert _listed(api, "S1") == []
    assert_error(api.call("get", f"stores/S1/orders/{theirs.order_id}"), 404, "not_found")


def test_a_numeric_store_id_is_found_by_its_text(api, account):
    order = make_order(account, store={"id": 17})
    assert _listed(api, "17") == [order.order_id]


def test_the_store_list_filters_and_pages_as_the_order_list(api, account):
    first = _store_order(api, store_id="S1")
    second = _store_order(api, store_id="S1")
    third = _store_order(api, store_id="S1")
    order_close(order=api_order(account, first["order_id"]), actor=TEST_ACTOR)

    assert _listed(api, "S1", status="closed") == [first["order_id"]]
    assert _listed(api, "S1", status="open") == [third["order_id"], second["order_id"]]
    page = api.call("get", "stores/S1/orders", {"limit": 1}).json()
    assert [o["order_id"] for o in page["orders"]] == [third["order_id"]] and page["next"]
    after = _listed(api, "S1", starting_after=third["id"])
    assert after == [second["order_id"], first["order_id"]]


def api_order(account, order_id):
    from orders.models import Order

    return Order.objects.get(account=account, order_id=order_id)


@pytest.mark.parametrize(
    "params",
    [{"status": "shipped"}, {"limit": "0"}, {"starting_after": "not-an-id"}, {"created_at.gte": "yesterday"}],
)
def test_bad_list_parameters_are_a_400(api, params):
    _store_order(api, store_id="S1")
    assert_error(api.call("get", "stores/S1/orders", params), 400, "invalid_request")


def test_a_write_to_a_store_path_is_not_allowed(api):
    order = _store_order(api, store_id="S1")
    assert api.call("post", "stores/S1/orders", {}).status_code == 405
    assert api.call("delete", f"stores/S1/orders/{order['order_id']}").status_code == 405


def test_a_read_only_token_reads_a_stores_orders(account, make_api):
    order = make_order(account, store={"id": "S1"})
    reader = make_api(account, "read:shopping")
    assert _listed(reader, "S1") == [order.order_id]


def test_the_store_list_takes_constant_queries(api, django_assert_max_num_queries):
    for _ in range(4):
        _store_order(api, store_id="S1")
    with django_assert_max_num_queries(8):
        assert len(_listed(api, "S1")) == 4
