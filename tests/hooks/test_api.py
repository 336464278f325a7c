"""The Hooks API: Dintero's subscription body and answers, its scopes, one account's
subscriptions only, bad input as a 400 with the error body, and the outbox: the deliveries a
change causes are written in its transaction, with the tasks that send them."""

import json

import pytest
from django_tasks_db.models import DBTaskResult

from hooks.models import Attempt, Delivery, DeliveryState, Subscription
from hooks.services.delivery import delivery_attempt, signature
from tests.support.orders import SEED_DRAFT, item, make_order, record

from .conftest import dintero_body
from .receiver import Receiver

URL = "https://erp.example.com/hooks"
ALL_EVENTS = [
    "shopping_draft_add",
    "shopping_draft_update",
    "shopping_draft_complete",
    "shopping_order_update",
    "shopping_order_event_add",
    "shopping_order_delete",
]

pytestmark = pytest.mark.django_db


def assert_error(response, status: int, field: str | None = None) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] and body["error"]["message"]
    if field is not None:
        assert field in [e["field"] for e in body["error"]["errors"]], body
    return body


def test_create_answers_dintero_shape_and_pings_in_the_same_transaction(account, hooks_api):
    api = hooks_api(account)

    response = api.call("post", "", dintero_body(URL, ALL_EVENTS))

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["config"] == {
        "url": URL,
        "content_type": "application/json",
        "insecure_ssl": 0,
        "secret": {"type": "HMAC-SHA1"},  # never its value
    }
    assert body["events"] == ALL_EVENTS and body["active"] is True
    assert body["created_by"].startswith("api:") and body["id"]
    (ping,) = Delivery.objects.filter(subscription_id=body["id"])
    assert ping.event == "ping" and ping.state == DeliveryState.PENDING
    sent = json.loads(ping.body)
    assert sent["account_id"] == account.aid and sent["event"] == "ping"
    assert sent["event_delivery"] == str(ping.event_delivery) and sent["id"] == body["id"]
    assert "value" not in json.dumps(sent)
    # The task that sends it was written with it.
    (task,) = DBTaskResult.objects.filter(task_path="hooks.tasks.delivery_send")
    assert task.args_kwargs["args"] == [ping.pk] and task.queue_name == "hooks"


def test_list_get_replace_delete(account, hooks_api):
    api = hooks_api(account)
    hid = api.call("post", "", dintero_body(URL)).json()["id"]

    assert [s["id"] for s in api.call("get").json()] == [hid]
    assert api.call("get", f"/{hid}").json()["config"]["url"] == URL

    # What GET answers can be PUT back: the secret without its value is kept.
    shown = api.call("get", f"/{hid}").json()
    shown["events"] = ["shopping_order_event_add"]
    replaced = api.call("put", f"/{hid}", shown)
    assert replaced.status_code == 200, replaced.content
    assert replaced.json()["events"] == ["shopping_order_event_add"]
    assert Subscription.objects.get(pk=hid).secret == "s3cret"
    # `null` removes it, a new value replaces it.
    shown["config"]["secret"] = None
    assert "secret" not in api.call("put", f"/{hid}", shown).json()["config"]
    shown["config"]["secret"] = {"type": "HMAC-SHA1", "value": "new"}
    api.call("put", f"/{hid}", shown)
    assert Subscription.objects.get(pk=hid).secret == "new"

    assert api.call("delete", f"/{hid}").status_code == 204
    assert_error(api.call("get", f"/{hid}"), 404)
    assert api.call("get").json() == []
    assert Delivery.objects.get(subscription_id=hid).state == DeliveryState.CANCELLED


def test_ping_writes_a_ping(account, hooks_api):
    api = hooks_api(account)
    hid = api.call("post", "", dintero_body(URL)).json()["id"]

    assert api.call("post", f"/{hid}/ping").status_code == 204

    assert list(Delivery.objects.filter(subscription_id=hid).values_list("event", flat=True)) == [
        "ping",
        "ping",
    ]


def test_scopes(account, hooks_api):
    admin, read = hooks_api(account, "admin:hooks"), hooks_api(account, "read:hooks")
    shopping = hooks_api(account, "admin:shopping")
    hid = admin.call("post", "", dintero_body(URL)).json()["id"]

    assert read.call("get").status_code == 200
    assert read.call("get", f"/{hid}").status_code == 200
    assert read.call("get", f"/{hid}/deliveries").status_code == 200
    assert_error(read.call("post", "", dintero_body(URL)), 403)
    assert_error(read.call("put", f"/{hid}", dintero_body(URL)), 403)
    assert_error(read.call("delete", f"/{hid}"), 403)
    assert_error(read.call("post", f"/{hid}/ping"), 403)
    for method, path in [("get", ""), ("get", f"/{hid}"), ("post", ""), ("get", f"/{hid}/deliveries")]:
        assert_error(shopping.call(method, path, dintero_body(URL)), 403)
    assert Subscription.objects.count() == 1


def test_another_accounts_subscription_is_not_found(account, other_account, hooks_api):
    theirs = hooks_api(other_account).call("post", "", dintero_body(URL)).json()["id"]
    api = hooks_api(account)

    for method, path in [
        ("get", f"/{theirs}"),
        ("put", f"/{theirs}"),
        ("delete", f"/{theirs}"),
        ("post", f"/{theirs}/ping"),
        ("get", f"/{theirs}/deliveries"),
    ]:
        assert_error(api.call(method, path, dintero_body(URL)), 404)
    assert api.call("get").json() == []
    assert Subscription.objects.get(pk=theirs).deleted_at is None
    # Another account's token on this account's path is no credential here.
    assert hooks_api(other_account, aid=account.aid).call("get").status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"events": ["shopping_order_update"]}, "config"),
        (dintero_body("ftp://erp.example.com/x"), "config.url"),
        (dintero_body("not a url"), "config.url"),
        (dintero_body("https://erp.example.com:99999/x"), "config.url"),
        (dintero_body(URL, ["checkout_transaction"]), "events"),
        (dintero_body(URL, []), "events"),
        ({**dintero_body(URL), "events": "shopping_order_update"}, "events"),
        ({**dintero_body(URL), "active": "yes"}, "active"),
        ({**dintero_body(URL), "fields": "order(id)"}, "fields"),
        ({**dintero_body(URL), "exclude_fields": ["customer"]}, "exclude_fields"),
        ({**dintero_body(URL), "colour": "blue"}, "colour"),
        ({**dintero_body(URL), "config": {"url": URL, "insecure_ssl": 2}}, "config.insecure_ssl"),
        ({**dintero_body(URL), "config": {"url": URL, "content_type": "text/xml"}}, "config.content_type"),
        (
            {**dintero_body(URL), "config": {"url": URL, "secret": {"type": "MD5", "value": "x"}}},
            "config.secret.type",
        ),
        ({**dintero_body(URL), "config": {"url": URL, "secret": {"type": "HMAC-SHA1", "value": ""}}}, None),
        (
            {
                **dintero_body(URL),
                "config": {"url": URL, "secret": {"type": "HMAC-SHA1", "value": "x" * 201}},
            },
            None,
        ),
        ({**dintero_body(URL), "config": "https://erp.example.com"}, "config"),
        (["not", "an", "object"], None),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(account, hooks_api, body, field):
    api = hooks_api(account)
    hid = api.call("post", "", dintero_body(URL)).json()["id"]
    before = (Subscription.objects.count(), Delivery.objects.count())

    assert_error(api.call("post", "", body), 400, field)
    assert_error(api.call("put", f"/{hid}", body), 400, field)

    assert (Subscription.objects.count(), Delivery.objects.count()) == before
    assert Subscription.objects.get(pk=hid).url == URL


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
    ],
)
def test_private_addresses_are_refused_unless_allowed(account, hooks_api, settings, url):
    api = hooks_api(account)
    settings.HOOKS_ALLOW_PRIVATE_NETWORKS = False
    assert_error(api.call("post", "", dintero_body(url)), 400, "config.url")
    settings.HOOKS_ALLOW_PRIVATE_NETWORKS = True
    assert api.call("post", "", dintero_body(url)).status_code == 201


def test_bad_paging_is_a_400(account, hooks_api):
    api = hooks_api(account)
    hid = api.call("post", "", dintero_body(URL)).json()["id"]
    for query in ["?limit=0", "?limit=101", "?limit=x", f"?starting_after={hid}"]:
        assert_error(api.call("get", f"/{hid}/deliveries{query}"), 400 if "limit" in query else 404)
    assert_error(api.call("get", "/not-a-uuid"), 404)


def _subscribe(api, url: str, events=ALL_EVENTS) -> Subscription:
    hid = api.call("post", "", dintero_body(url, events)).json()["id"]
    Delivery.objects.filter(subscription_id=hid, event="ping").delete()
    return Subscription.objects.get(pk=hid)


def _owed(subscription) -> list[tuple[str, dict]]:
    return [
        (d.event, json.loads(d.body))
        for d in Delivery.objects.filter(subscription=subscription).order_by("pk")
    ]


def test_order_changes_write_their_events(account, hooks_api, api):
    subscription = _subscribe(hooks_api(account), URL)
    order = make_order(account, [item(1), item(2, gross=10000)])
    Delivery.objects.all().delete()

    capture_body = {"items": [{"line_id": 1, "amount": 39800}], "payment_details": {"payment_id": "PID_1"}}
    record(order, "authorization", [(1, 39800)])
    response = api.call("post", f"orders/{order.order_id}/captures", capture_body)
    assert response.status_code == 201, response.content

    owed = _owed(subscription)
    assert [event for event, _ in owed] == [
        "shopping_order_update",
        "shopping_order_event_add",
        "shopping_order_update",
        "shopping_order_event_add",
    ]
    update = owed[2][1]
    assert update["account_id"] == account.aid and update["event"] == "shopping_order_update"
    assert update["order"]["order_id"] == order.order_id
    # The order as the change left it.
    assert update["order"]["captured_amount"] == 39800
    assert owed[3][1]["order_event"]["type"] == "capture_recorded"
    assert {d.order_key for d in Delivery.objects.all()} == {order.pk}


def test_a_refused_change_writes_no_delivery(account, hooks_api, api):
    _subscribe(hooks_api(account), URL)
    order = make_order(account)
    before = Delivery.objects.count()

    too_much = {"items": [{"line_id": 1, "amount": 1}], "payment_details": {"payment_id": "PID_1"}}
    assert api.call("post", f"orders/{order.order_id}/captures", too_much).status_code == 409

    assert Delivery.objects.count() == before


def test_draft_changes_write_draft_events(account, hooks_api, api):
    subscription = _subscribe(hooks_api(account), URL)

    draft = api.call("post", "draft_orders", SEED_DRAFT).json()
    new_item = {
        "id": "x",
        "quantity": 1,
        "gross_amount": 1000,
        "tax_lines": [{"amount": 200, "percentage": 25}],
    }
    assert api.call("post", f"draft_orders/{draft['id']}/items", new_item).status_code == 201
    completed = api.call("put", f"draft_orders/{draft['id']}/complete", {})
    assert completed.status_code == 200, completed.content
    other = api.call("post", "draft_orders", SEED_DRAFT).json()
    assert api.call("delete", f"draft_orders/{other['id']}").status_code in (200, 204)

    owed = _owed(subscription)
    assert [event for event, _ in owed] == [
        "shopping_draft_add",
        "shopping_draft_update",
        "shopping_order_event_add",  # the order created
        "shopping_draft_complete",
        "shopping_draft_add",
        "shopping_draft_update",  # deleted, as Dintero's drafts show it
    ]
    assert owed[0][1]["draft_order"]["id"] == draft["id"]
    assert owed[3][1]["draft_order"]["status"].lower() == "completed"
    assert owed[5][1]["draft_order"]["status"].lower() == "deleted"
    order_id = completed.json()["orders"][0]["id"]
    complete = Delivery.objects.get(subscription=subscription, event="shopping_draft_complete")
    assert str(complete.order_key) == order_id and str(complete.draft_key) == draft["id"]


def test_a_note_is_an_order_event_only(account, hooks_api):
    from backoffice.actor import Actor
    from orders.services.events import note_add

    subscription = _subscribe(hooks_api(account), URL)
    order = make_order(account)
    Delivery.objects.all().delete()

    note_add(order=order, text="called the customer", actor=Actor(system="tests"))

    assert [e for e, _ in _owed(subscription)] == ["shopping_order_event_add"]


def test_only_subscribed_events_of_active_subscriptions(account, hooks_api):
    api = hooks_api(account)
    updates = _subscribe(api, URL, ["shopping_order_update"])
    off = _subscribe(api, URL, ALL_EVENTS)
    off_body = api.call("get", f"/{off.pk}").json()
    api.call("put", f"/{off.pk}", {**off_body, "config": {"url": URL}, "active": False})

    make_order(account)

    assert _owed(updates) == []  # a new order is a draft completion and an order event
    assert _owed(off) == []


def test_deliveries_list_and_detail_after_an_attempt(account, hooks_api, settings):
    settings.HOOKS_ALLOW_PRIVATE_NETWORKS = True
    api = hooks_api(account)
    with Receiver() as receiver:
        hid = api.call("post", "", dintero_body(f"{receiver.url}/erp")).json()["id"]
        ping = Delivery.objects.get(subscription_id=hid)

        assert delivery_attempt(ping.pk).startswith("attempt 1: delivered")

    (request,) = receiver.events("ping")
    assert request.headers["event-signature"] == signature("s3cret", request.body)
    listed = api.call("get", f"/{hid}/deliveries").json()
    assert len(listed) == 1
    entry = listed[0]
    assert entry["event_delivery"] == str(ping.event_delivery) and entry["status"] == 200
    assert entry["state"] == "succeeded" and entry["event"] == "ping" and entry["attempt"] == 1
    detail = api.call("get", f"/{hid}/deliveries/{entry['id']}").json()
    assert detail["url"] == f"{receiver.url}/erp"
    assert detail["request"]["headers"]["event"] == "ping"
    assert detail["request"]["headers"]["event-delivery"] == str(ping.event_delivery)
    assert detail["request"]["body"]["event_delivery"] == str(ping.event_delivery)
    assert detail["response"]["body"] == "answered 200"
    assert detail["details"]["delivery_success"] is True
    assert detail["details"]["delivery_duration"] >= 0
    assert Attempt.objects.count() == 1
    assert api.call("get", f"/{hid}/deliveries?starting_after={entry['id']}").json() == []


def _tasks_for(delivery) -> int:
    return sum(
        1
        for t in DBTaskResult.objects.filter(task_path="hooks.tasks.delivery_send")
        if t.args_kwargs["args"] == [delivery.pk]
    )


def test_the_sweep_enqueues_again_what_a_dead_worker_held(account, hooks_api):
    from datetime import timedelta

    from django.utils import timezone

    from hooks.services.delivery import deliveries_sweep

    api = hooks_api(account)
    dead, busy, queued = (
        Delivery.objects.get(subscription_id=api.call("post", "", dintero_body(URL)).json()["id"])
        for _ in range(3)
    )
    now = timezone.now()
    Delivery.objects.filter(pk=dead.pk).update(attempts=1, leased_until=now - timedelta(seconds=1))
    Delivery.objects.filter(pk=busy.pk).update(attempts=1, leased_until=now + timedelta(seconds=30))

    assert deliveries_sweep() == 1

    assert (_tasks_for(dead), _tasks_for(busy), _tasks_for(queued)) == (2, 1, 1)
    dead.refresh_from_db()
    assert dead.leased_until is None and dead.state == DeliveryState.PENDING
    assert deliveries_sweep() == 0  # enqueued once, not at every sweep


def test_turned_on_again_a_subscription_is_sent_what_it_is_owed(account, hooks_api):
    api = hooks_api(account)
    hid = api.call("post", "", dintero_body(URL, ALL_EVENTS)).json()["id"]
    Subscription.objects.filter(pk=hid).update(active=False, deactivated_reason="failed 5 times")
    ping = Delivery.objects.get(subscription_id=hid)
    body = api.call("get", f"/{hid}").json()
    assert body["active"] is False and body["deactivated_reason"] == "failed 5 times"

    turned_on = api.call("put", f"/{hid}", {**body, "active": True})

    assert turned_on.json()["active"] is True and turned_on.json()["deactivated_reason"] is None
    assert _tasks_for(ping) == 2
