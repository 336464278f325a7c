"""Dintero's order status endpoints and the order's status fields.

* `POST …/orders/{order_id}/open` (https://docs.dintero.com/api-reference/orderstatus/open-order)
  opens a closed order; `DELETE` on the same path closes it (and `POST …/close` as well). The
  Order answers `closed_at`, `closed_by`, `cancelled_at`, `cancelled_by`, `cancelled_reason` and
  `updated_at` as the Order example of
  https://docs.dintero.com/api-reference/draft/complete-a-draft-order has them.
* A closed order accepts no new update drafts, authorizations, captures or payment links;
  refunds and cancellations of what is left remain possible.
* `PUT …/orders/{order_id}` changes the order's customer, addresses, store, references and
  metadata, never money or lines; `POST …/orders` makes an order without a draft (Dintero's
  changelog, 2020-05-01, https://docs.dintero.com/orders-api.html).
"""

import pytest

from orders.models import Event, EventKind, Order
from orders.services.operations import order_cancel
from orders.services.status import order_close
from tests.support.api import assert_error, client_like, operation_new, order_new, snapshot
from tests.support.orders import TEST_ACTOR, draft_body, line, make_order, op_body, record
from tests.support.threads import at_once


def _close(api, order_id: str):
    return api.call("delete", f"orders/{order_id}/open")


def test_closing_answers_the_order_with_its_closed_fields_and_one_event(api):
    oid = order_new(api)["order_id"]
    before = Order.objects.get(order_id=oid).updated_at

    response = _close(api, oid)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "closed"
    assert body["closed_at"] and body["closed_by"] == "api:shop"
    order = Order.objects.get(order_id=oid)
    assert order.status == "CLOSED" and order.updated_at > before
    (event,) = Event.objects.filter(order=order, kind=EventKind.ORDER_CLOSED)
    assert event.created_by == "api:shop" and event.actor_client is not None
    assert event.request["method"] == "DELETE" and event.request["path"].endswith(f"/orders/{oid}/open")


def test_post_close_is_the_same_as_delete_open(api):
    oid = order_new(api)["order_id"]
    response = api.call("post", f"orders/{oid}/close")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "closed"


def test_opening_a_closed_order_clears_its_closed_fields(api):
    oid = order_new(api)["order_id"]
    _close(api, oid)

    response = api.call("post", f"orders/{oid}/open")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "open"
    assert "closed_at" not in body and "closed_by" not in body
    kinds = list(Event.objects.filter(order__order_id=oid).values_list("kind", flat=True))
    assert kinds[-2:] == [EventKind.ORDER_CLOSED, EventKind.ORDER_OPENED]


def test_an_open_order_answers_no_closed_or_cancelled_fields(api):
    body = order_new(api)
    for name in ("closed_at", "closed_by", "cancelled_at", "cancelled_by", "cancelled_reason"):
        assert name not in body
    assert body["updated_at"]


@pytest.mark.parametrize(
    ("state", "method", "path", "code", "words"),
    [
        ("open", "post", "open", "conflict", "already open"),
        ("closed", "delete", "open", "conflict", "already closed"),
        ("closed", "post", "close", "conflict", "already closed"),
        ("cancelled", "post", "open", "order_cancelled", "cancelled"),
        ("cancelled", "delete", "open", "order_cancelled", "cancelled"),
    ],
)
def test_a_status_change_the_order_cannot_take_is_a_409_that_changes_nothing(
    api, state, method, path, code, words
):
    oid = order_new(api)["order_id"]
    order = Order.objects.get(order_id=oid)
    if state == "closed":
        order_close(order=order, actor=TEST_ACTOR)
    elif state == "cancelled":
        order_cancel(order=order, actor=TEST_ACTOR)
    before = snapshot()

    response = api.call(method, f"orders/{oid}/{path}")

    assert_error(response, 409, code, words)
    assert snapshot() == before


def test_the_status_endpoints_answer_404_for_an_unknown_or_another_accounts_order(
    api, other_account, make_api
):
    theirs = make_order(other_account)
    before = snapshot()
    for oid in ("NO_SUCH_ORDER", theirs.order_id):
        assert_error(api.call("post", f"orders/{oid}/open"), 404, "not_found")
        assert_error(_close(api, oid), 404, "not_found")
        assert_error(api.call("put", f"orders/{oid}", {"metadata": {"a": 1}}), 404, "not_found")
    assert snapshot() == before
    assert Order.objects.get(pk=theirs.pk).status == "ACTIVE"


def test_a_read_only_token_cannot_close(account, make_api):
    reader = make_api(account, "read:shopping")
    order = make_order(account)
    assert_error(reader.call("delete", f"orders/{order.order_id}/open"), 403)
    assert Order.objects.get(pk=order.pk).status == "ACTIVE"


# The rule of a closed order


def test_a_closed_order_takes_no_authorization_capture_or_update_draft(api):
    order = order_new(api, [line(1, 39800), line(2, 10000)])
    oid = order["order_id"]
    operation_new(api, oid, "authorizations", [(1, 39800)])
    _close(api, oid)
    before = snapshot()

    for kind, lines in (("authorizations", [(2, 10000)]), ("captures", [(1, 39800)])):
        response = api.call("post", f"orders/{oid}/{kind}", op_body(lines))
        assert_error(response, 409, "conflict", f"order {oid} is closed", "open it first")
    draft = api.call("post", "draft_orders", draft_body([line(3, 500)], order_id=oid)).json()
    after_draft = snapshot()
    response = api.call("put", f"draft_orders/{draft['id']}/complete")
    assert_error(response, 409, "conflict", "closed", "update draft")

    assert snapshot() == after_draft
    assert before["orders"] == after_draft["orders"] and before["lines"] == after_draft["lines"]


def test_a_closed_order_still_takes_refunds_and_cancellations_of_what_is_left(api):
    order = order_new(api, [line(1, 39800), line(2, 10000)])
    oid = order["order_id"]
    operation_new(api, oid, "authorizations", [(1, 39800), (2, 10000)])
    operation_new(api, oid, "captures", [(1, 39800)])
    _close(api, oid)

    operation_new(api, oid, "refunds", [(1, 9800)])
    operation_new(api, oid, "cancellations", [(2, 10000)])

    body = api.call("get", f"orders/{oid}").json()
    assert body["status"] == "closed"
    assert body["refunded_amount"] == 9800 and body["cancelled_amount"] == 10000


def test_a_closed_order_with_nothing_captured_may_be_cancelled(api):
    oid = order_new(api)["order_id"]
    operation_new(api, oid, "authorizations", [(1, 39800)])
    _close(api, oid)

    response = api.call("post", f"orders/{oid}/cancel", {"reason": "customer"})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "cancelled" and body["cancelled_amount"] == 39800
    assert body["cancelled_reason"] == "customer" and body["cancelled_by"] == "api:shop"
    assert body["cancelled_at"]


def test_an_opened_order_takes_captures_again(api):
    oid = order_new(api)["order_id"]
    operation_new(api, oid, "authorizations", [(1, 39800)])
    _close(api, oid)
    api.call("post", f"orders/{oid}/open")
    operation_new(api, oid, "captures", [(1, 39800)])
    assert api.call("get", f"orders/{oid}").json()["payment_status"] == "paid"


# Cancel


def test_cancel_answers_and_stores_who_cancelled_and_why(api):
    oid = order_new(api)["order_id"]
    response = api.call("post", f"orders/{oid}/cancel", {"cancelled_reason": "customer"})
    assert response.status_code == 200, response.content
    order = Order.objects.get(order_id=oid)
    assert (order.cancelled_by, order.cancelled_reason) == ("api:shop", "customer")
    assert response.json()["cancelled_reason"] == "customer"


def test_cancel_without_a_body_gives_no_reason(api):
    oid = order_new(api)["order_id"]
    response = api.call("post", f"orders/{oid}/cancel")
    assert response.status_code == 200, response.content
    assert "cancelled_reason" not in response.json() and response.json()["status"] == "cancelled"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reason": {"why": "x"}}, "reason"),
        ({"reason": "x" * 501}, "reason"),
        ({"why": "x"}, "why"),
        ([1], ""),
    ],
)
def test_a_bad_cancel_body_is_a_400_that_changes_nothing(api, body, field):
    oid = order_new(api)["order_id"]
    before = snapshot()
    error = assert_error(api.call("post", f"orders/{oid}/cancel", body), 400, "invalid_request")
    assert field in {e["field"] for e in error["errors"]} or not field
    assert snapshot() == before


# PUT …/orders/{order_id}


def test_put_changes_the_customer_addresses_store_and_metadata_with_one_event(api):
    oid = order_new(api)["order_id"]
    body = {
        "customer": {"first_name": "Kari", "email": "kari@example.com"},
        "shipping_address": {"address_line": "Sommerkroveien 34", "postal_place": "Oslo"},
        "store_id": "S1",
        "merchant_reference": "ERP-17",
        "metadata": {"pickup": "door"},
    }

    response = api.call("put", f"orders/{oid}", body)

    assert response.status_code == 200, response.content
    answered = response.json()
    assert answered["customer"] == body["customer"]
    assert answered["shipping_address"] == body["shipping_address"]
    assert answered["store"] == {"id": "S1"} and answered["merchant_reference"] == "ERP-17"
    assert answered["metadata"] == {"pickup": "door"}
    (event,) = Event.objects.filter(order__order_id=oid, kind=EventKind.ORDER_DETAILS_UPDATED)
    assert event.created_by == "api:shop" and event.request["method"] == "PUT"
    assert "Order details changed" in event.summary and "Oslo" in event.summary
    assert set(event.data["fields"]) == {
        "customer",
        "shipping_address",
        "store",
        "merchant_reference",
        "metadata",
    }


def test_put_keeps_the_fields_left_out_and_writes_nothing_when_nothing_changes(api):
    oid = order_new(api)["order_id"]
    api.call("put", f"orders/{oid}", {"metadata": {"a": 1}, "merchant_reference": "R"})
    before = snapshot()

    response = api.call("put", f"orders/{oid}", {"metadata": {"a": 1}})

    assert response.status_code == 200, response.content
    assert response.json()["merchant_reference"] == "R"
    assert snapshot() == before


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"items": []}, "items", "update draft"),
        ({"gross_amount": 1}, "gross_amount", "update draft"),
        ({"currency": "SEK"}, "currency", "update draft"),
        ({"status": "closed"}, "status", "read-only"),
        ({"order_id": "X"}, "order_id", "read-only"),
        ({"shoe_size": 44}, "shoe_size", "not a field"),
        ({"customer": "Kari"}, "customer", "object"),
        ({"merchant_reference": "x" * 1000}, "merchant_reference", "at most"),
        ({}, "", "at least one"),
        ([{"metadata": {}}], "", "object"),
    ],
)
def test_put_refuses_money_lines_read_only_and_unknown_fields_with_a_400(api, body, field, words):
    oid = order_new(api)["order_id"]
    before = snapshot()
    error = assert_error(api.call("put", f"orders/{oid}", body), 400, "invalid_request", words)
    if field:
        assert field in {e["field"] for e in error["errors"]}
    assert snapshot() == before


# POST …/orders


def test_post_orders_makes_an_order_without_a_draft(api):
    body = {"currency": "NOK", "items": [line(1, 39800)], "merchant_reference": "M-1"}

    response = api.call("post", "orders", body)

    assert response.status_code == 201, response.content
    order = response.json()
    assert order["status"] == "open" and order["gross_amount"] == 39800
    assert order["merchant_reference"] == "M-1" and order["items"][0]["line_id"] == 1
    (event,) = Event.objects.filter(order__order_id=order["order_id"])
    assert event.kind == EventKind.DRAFT_COMPLETED and event.data["draft_id"]
    assert event.request["method"] == "POST"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"items": [line(1, 39800)]}, "currency"),
        (
            {"currency": "NOK", "items": [{**line(1, 39800), "gross_amount": "a lot"}]},
            "items[0].gross_amount",
        ),
        ({"currency": "NOK", "items": [line(1, 39800, related_item={"line_id": 1, "type": "reversed"})]}, ""),
        ({"currency": "NOK", "items": []}, "items"),
        ("an order", ""),
    ],
)
def test_post_orders_refuses_what_a_draft_refuses_and_writes_nothing(api, body, field):
    before = snapshot()
    response = api.call("post", "orders", body)
    assert response.status_code in (400, 409), response.content
    error = assert_error(response, response.status_code)
    if field:
        assert any(field in e["field"] for e in error["errors"]), error
    after = snapshot()
    assert after["orders"] == before["orders"] and after["events"] == before["events"]
    assert after["drafts"] == before["drafts"]


# Two requests at once


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_close_and_capture_at_once_either_closes_after_the_capture_or_refuses_it(account, make_api):
    """Close and capture race: the capture is recorded before the order closes, or refused
    because it has; never recorded on a closed order."""
    api = make_api(account)
    for _ in range(5):
        order = make_order(account, authorized=True)
        oid = order.order_id
        clients = [client_like(api), client_like(api)]

        def work(i: int, clients=clients, oid=oid):
            if i == 0:
                return _close(clients[0], oid)
            return clients[1].call("post", f"orders/{oid}/captures", op_body([(1, 39800)]))

        closed, captured = at_once(2, work)
        assert closed.status_code == 200, closed.content
        assert captured.status_code in (201, 409), captured.content
        order.refresh_from_db()
        assert order.status == "CLOSED"
        events = list(
            Event.objects.filter(order=order).order_by("created_at", "id").values_list("kind", flat=True)
        )
        if captured.status_code == 201:
            assert order.captured_amount == 39800
            assert events.index(EventKind.CAPTURE_RECORDED) < events.index(EventKind.ORDER_CLOSED)
        else:
            assert order.captured_amount == 0 and "closed" in captured.json()["error"]["message"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_closes_at_once_close_once(account, make_api):
    api = make_api(account)
    order = make_order(account)
    clients = [client_like(api), client_like(api)]
    responses = at_once(2, lambda i: _close(clients[i], order.order_id))
    assert sorted(r.status_code for r in responses) == [200, 409]
    assert Event.objects.filter(order=order, kind=EventKind.ORDER_CLOSED).count() == 1


def test_record_on_a_closed_order_through_the_service_is_refused_too(account):
    order = make_order(account, authorized=True)
    order_close(order=order, actor=TEST_ACTOR)
    with pytest.raises(Exception, match="closed"):
        record(order, "capture", [(1, 39800)])


@pytest.mark.parametrize(
    ("kind", "update"),
    [
        (EventKind.ORDER_CLOSED, True),
        (EventKind.ORDER_OPENED, True),
        (EventKind.ORDER_DETAILS_UPDATED, True),
        (EventKind.STATUS_REPORTED, False),
    ],
)
def test_status_changes_and_order_updates_are_webhook_order_updates(kind, update):
    """The Hooks API's rule (hooks.events): what changes the order's status or data also sends
    `shopping_order_update`; every event is a `shopping_order_event_add`."""
    from hooks.events import HookEvent, order_event_hooks

    hooks = order_event_hooks(kind)
    assert HookEvent.ORDER_EVENT_ADD in hooks
    assert (HookEvent.ORDER_UPDATE in hooks) is update


def test_post_orders_takes_a_custom_order_id_once(api):
    body = {"currency": "NOK", "items": [line(1, 39800)], "order_id": "SHOP-1001", "store_id": "S9"}
    first = api.call("post", "orders", body)
    assert first.status_code == 201, first.content
    assert first.json()["order_id"] == "SHOP-1001" and first.json()["store"] == {"id": "S9"}
    before = snapshot()
    again = api.call("post", "orders", body)
    assert_error(again, 409, None, "SHOP-1001")
    assert snapshot() == before


def test_post_orders_with_a_repeated_idempotency_key_makes_one_order(api):
    body = {"currency": "NOK", "items": [line(1, 39800)]}
    first = api.call("post", "orders", body, HTTP_IDEMPOTENCY_KEY="order-1")
    again = api.call("post", "orders", body, HTTP_IDEMPOTENCY_KEY="order-1")
    assert first.status_code == again.status_code == 201
    assert first.json()["order_id"] == again.json()["order_id"]
    assert Order.objects.count() == 1


def test_cancel_with_two_different_reasons_is_a_400_and_with_the_same_one_cancels(api):
    oid = order_new(api)["order_id"]
    before = snapshot()
    body = {"reason": "customer", "cancelled_reason": "fraud"}
    assert_error(api.call("post", f"orders/{oid}/cancel", body), 400, "invalid_request", "cancelled_reason")
    assert snapshot() == before
    same = api.call("post", f"orders/{oid}/cancel", {"reason": "customer", "cancelled_reason": "customer"})
    assert same.status_code == 200 and same.json()["cancelled_reason"] == "customer"
