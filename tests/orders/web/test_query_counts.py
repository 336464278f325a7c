"""The list and order pages read a constant number of queries however much there is to show."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from backoffice.actor import Actor
from orders.services.drafts import draft_complete, draft_create
from orders.services.events import note_add
from tests.support.orders import draft_input, item, make_order, record


def queries(client, path: str) -> int:
    client.get(path)  # the first visit also writes the session
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def add_orders(account, n: int) -> None:
    for _ in range(n):
        order = make_order(account, [item(1), item(2, 10000)], customer={"first_name": "Kari"})
        record(order, "authorization", [(1, 39800), (2, 10000)])


def test_order_list_queries_do_not_grow_with_orders(account, login):
    client = login()
    add_orders(account, 2)
    path = f"/{account.aid}/orders/?q=kari&payment_status=AUTHORIZED"
    few = queries(client, path)
    add_orders(account, 30)
    assert queries(client, path) == few
    assert queries(client, f"/{account.aid}/orders/") == queries(client, f"/{account.aid}/orders/?sort=gross")


def test_order_page_queries_do_not_grow_with_lines_operations_and_events(account, login):
    client = login()
    order = make_order(account, [item(1), item(2, 10000)])
    record(order, "authorization", [(1, 39800)])
    path = f"/{account.aid}/orders/{order.order_id}/"
    few = queries(client, path)
    actor = Actor(system="tests")
    draft = draft_create(
        account=account,
        actor=actor,
        **draft_input(
            {
                "options": {"order_id": order.order_id},
                "order": {
                    "currency": "NOK",
                    "items": [
                        item(3, -39800, related_item={"line_id": 1, "type": "reversed"}),
                        *[item(line_id, 5000) for line_id in range(4, 12)],
                    ],
                },
            }
        ),
    )
    draft_complete(draft=draft, actor=actor)
    # An updated order may have replacements: one query more looks for them.
    updated = queries(client, path)
    assert updated == few + 1
    for line_id in range(4, 12):
        record(order, "authorization", [(line_id, 5000)], payment_id=f"PID_{line_id}")
        record(order, "capture", [(line_id, 2500)], payment_id=f"PID_{line_id}")
    for n in range(5):
        note_add(order=order, text=f"note {n}", actor=actor)
    assert queries(client, path) == updated <= 12
