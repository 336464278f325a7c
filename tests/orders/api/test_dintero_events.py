"""Events as Dintero models them.

* `GET …/orders/{order_id}/events` (https://docs.dintero.com/api-reference/orderlist/order-events-collection)
  answers `{"events": [...], "state": ...}`; each event has a UUID `id`, `created_at`,
  `created_by`, `version` and, when an API request made it, `request {path, method, body}`;
  `draft_id` when a draft created or updated the order (changelog 2020-07-01,
  https://docs.dintero.com/orders-api.html). `state` is `failure` if any status event reports
  error or failure, `pending` if there are none or a service's latest is pending, `success` if
  every service's latest is success.
* `POST …/orders/{order_id}/events` (https://docs.dintero.com/api-reference/orderevents/create-an-order-event)
  records an order status event `{state, service, service_status, description, metadata}`.
* `include_events` on order reads (changelog 2019-07-01) answers the events with the order.
* The staff timeline shows status events and status changes in words.
"""

import json
import uuid

import pytest

from orders.models import Event, EventKind
from orders.services.status import order_close, status_event_add
from orders.timeline import event_summary
from tests.support.api import assert_error, operation_new, order_new, order_update, snapshot
from tests.support.browser import SCREENSHOTS, go, sign_in
from tests.support.orders import TEST_ACTOR, line, make_order

READY = {
    "state": "success",
    "service": "kitchen",
    "service_status": "ready_for_pickup",
    "description": "food prepared",
    "metadata": {"pickup_location": {"postal_code": "0342", "address": "Smallwei"}},
}


def _events(api, oid: str) -> dict:
    response = api.call("get", f"orders/{oid}/events")
    assert response.status_code == 200, response.content
    return response.json()


def test_api_events_have_a_uuid_version_request_and_draft_id(api):
    order = order_new(api)
    oid = order["order_id"]
    operation_new(api, oid, "authorizations", [(1, 39800)])

    body = _events(api, oid)

    assert set(body) == {"events", "state"} and body["state"] == "pending"
    created, authorized = body["events"]
    for n, event in enumerate(body["events"], start=1):
        uuid.UUID(event["id"])
        assert event["version"] == n and event["event_type"] == "api-event"
        assert event["created_by"] == "api:shop" and event["created_at"]
    assert created["draft_id"] and created["type"] == "draft_completed"
    assert created["request"]["method"] == "PUT" and created["request"]["path"].endswith("/complete")
    assert "draft_id" not in authorized
    assert authorized["request"]["method"] == "POST"
    assert json.loads(authorized["request"]["body"])["items"] == [{"amount": 39800, "line_id": 1}]
    stored = Event.objects.get(uuid=authorized["id"])
    assert stored.kind == EventKind.AUTHORIZATION_RECORDED


def test_an_update_draft_event_names_its_draft(api):
    oid = order_new(api)["order_id"]
    completed = order_update(api, oid, [line(2, 10000)])
    assert completed.status_code == 200, completed.content
    updated = _events(api, oid)["events"][-1]
    assert updated["type"] == "order_updated" and updated["draft_id"]


def test_events_made_without_an_api_request_have_no_request(account, api):
    order = make_order(account)
    (event,) = _events(api, order.order_id)["events"]
    assert "request" not in event and event["created_by"] == "tests"


def test_a_status_event_is_recorded_and_answered_as_dintero_documents_it(api):
    oid = order_new(api)["order_id"]

    response = api.call("post", f"orders/{oid}/events", READY)

    assert response.status_code == 201, response.content
    event = response.json()
    assert {k: event[k] for k in READY} == READY
    assert event["event_type"] == "service-event" and event["version"] == 2
    uuid.UUID(event["id"])
    assert event["created_by"] == "api:shop" and event["request"]["method"] == "POST"
    stored = Event.objects.get(uuid=event["id"])
    assert stored.kind == EventKind.STATUS_REPORTED and stored.actor_client is not None
    assert _events(api, oid)["state"] == "success"


def test_state_defaults_to_success(api):
    oid = order_new(api)["order_id"]
    response = api.call("post", f"orders/{oid}/events", {"service": "courier", "service_status": "picked_up"})
    assert response.status_code == 201, response.content
    assert response.json()["state"] == "success"


@pytest.mark.parametrize(
    ("reports", "state"),
    [
        ([], "pending"),
        ([("kitchen", "pending")], "pending"),
        ([("kitchen", "pending"), ("kitchen", "success")], "success"),
        ([("kitchen", "success"), ("courier", "pending")], "pending"),
        ([("kitchen", "success"), ("courier", "success")], "success"),
        ([("kitchen", "error"), ("kitchen", "success")], "failure"),
        ([("kitchen", "success"), ("courier", "failure")], "failure"),
    ],
)
def test_the_lists_state_combines_the_services_latest_statuses(api, reports, state):
    oid = order_new(api)["order_id"]
    for service, reported in reports:
        body = {"state": reported, "service": service, "service_status": "x"}
        assert api.call("post", f"orders/{oid}/events", body).status_code == 201
    assert _events(api, oid)["state"] == state


def test_a_closed_or_cancelled_order_takes_status_events(api):
    oid = order_new(api)["order_id"]
    api.call("delete", f"orders/{oid}/open")
    assert api.call("post", f"orders/{oid}/events", READY).status_code == 201
    api.call("post", f"orders/{oid}/cancel")
    assert api.call("post", f"orders/{oid}/events", READY).status_code == 201


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**READY, "state": "done"}, "state"),
        ({k: v for k, v in READY.items() if k != "service"}, "service"),
        ({**READY, "service_status": ""}, "service_status"),
        ({**READY, "service": None}, "service"),
        ({**READY, "metadata": "x"}, "metadata"),
        ({**READY, "description": "x" * 100_000}, "description"),
        ({**READY, "colour": "red"}, "colour"),
        ([READY], ""),
    ],
)
def test_a_bad_status_event_is_a_400_that_writes_nothing(api, body, field):
    oid = order_new(api)["order_id"]
    before = snapshot()
    error = assert_error(api.call("post", f"orders/{oid}/events", body), 400, "invalid_request")
    if field:
        assert field in {e["field"] for e in error["errors"]}, error
    assert snapshot() == before


def test_events_of_an_unknown_or_another_accounts_order_are_a_404(api, other_account):
    theirs = make_order(other_account)
    before = snapshot()
    for oid in ("NOPE", theirs.order_id):
        assert_error(api.call("get", f"orders/{oid}/events"), 404, "not_found")
        assert_error(api.call("post", f"orders/{oid}/events", READY), 404, "not_found")
    assert snapshot() == before


def test_a_read_only_token_reads_events_but_cannot_add_one(account, make_api):
    reader = make_api(account, "read:shopping")
    order = make_order(account)
    assert reader.call("get", f"orders/{order.order_id}/events").status_code == 200
    assert_error(reader.call("post", f"orders/{order.order_id}/events", READY), 403)


def test_a_repeated_idempotency_key_records_the_status_event_once(api):
    oid = order_new(api)["order_id"]
    first = api.call("post", f"orders/{oid}/events", READY, HTTP_IDEMPOTENCY_KEY="k-1")
    again = api.call("post", f"orders/{oid}/events", READY, HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert Event.objects.filter(order__order_id=oid, kind=EventKind.STATUS_REPORTED).count() == 1


# include_events


def test_include_events_answers_the_orders_events_and_their_state(api):
    oid = order_new(api)["order_id"]
    api.call("post", f"orders/{oid}/events", READY)

    plain = api.call("get", f"orders/{oid}").json()
    included = api.call("get", f"orders/{oid}", {"include_events": "true"}).json()

    assert "events" not in plain and "events_state" not in plain
    assert [e["type"] for e in included["events"]] == ["draft_completed", "status_reported"]
    assert included["events"] == _events(api, oid)["events"]
    assert included["events_state"] == "success"


def test_include_events_on_the_list_reads_the_events_in_one_query(api, django_assert_max_num_queries):
    for _ in range(3):
        order_new(api)
    with django_assert_max_num_queries(12):
        response = api.call("get", "orders", {"include_events": "true"})
    assert response.status_code == 200
    assert all(len(o["events"]) == 1 and o["events"][0]["version"] == 1 for o in response.json()["orders"])
    assert "events" not in api.call("get", "orders").json()["orders"][0]


# The staff timeline


def test_the_timeline_says_what_a_service_reported_and_the_status_changes(account, api):
    order = make_order(account)
    api.call("post", f"orders/{order.order_id}/events", READY)
    order_close(order=order, actor=TEST_ACTOR)
    api.call("put", f"orders/{order.order_id}", {"shipping_address": {"postal_place": "Oslo"}})

    events = list(Event.objects.filter(order=order).order_by("created_at", "id"))
    texts = [event_summary(e, {}, order.currency) for e in events]

    assert texts[1] == "kitchen: ready_for_pickup (success) — food prepared"
    assert texts[2] == "Order closed"
    assert texts[3].startswith("Order details changed") and "Oslo" in texts[3]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_order_page_shows_status_events_in_its_timeline(page, roles, staff, account):
    order = make_order(account)
    status_event_add(order=order, **READY, actor=TEST_ACTOR)
    order_close(order=order, actor=TEST_ACTOR)
    sign_in(page, staff["Customer service"])
    go(page, f"/{account.aid}/orders/{order.order_id}/")
    timeline = page.locator("#timeline")
    text = timeline.inner_text()
    assert "kitchen: ready_for_pickup (success) — food prepared" in text
    page.screenshot(path=str(SCREENSHOTS / "dintero_status_events_timeline.png"), full_page=True)


def test_a_null_state_takes_the_default_as_a_left_out_one(api):
    oid = order_new(api)["order_id"]
    body = {"state": None, "service": "kitchen", "service_status": "ready_for_pickup", "description": None}
    response = api.call("post", f"orders/{oid}/events", body)
    assert response.status_code == 201, response.content
    assert response.json()["state"] == "success" and "description" not in response.json()
