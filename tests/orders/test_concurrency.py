"""Simultaneous writers on PostgreSQL: the order's row lock lets exactly one of them take
what is left, and the ledger stays exact. Each thread has its own database connection."""

from collections import Counter

import pytest

from backoffice.models import IdempotencyRecord
from orders.models import DraftOrder, Event, Order, OrderLine, PaymentOperation
from tests.support.api import client_like, draft_new, statuses
from tests.support.orders import draft_body, item, make_order, op_body, reversal
from tests.support.threads import at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_twenty_captures_of_the_whole_remainder(api, account):
    order = make_order(account, [item(1, 39800)], authorized=True, captured=[(1, 800)])
    path = f"orders/{order.order_id}/captures"

    responses = at_once(20, lambda i: client_like(api).call("post", path, op_body([(1, 39000)], f"PID_{i}")))

    assert statuses(responses) == Counter({201: 1, 409: 19})
    for response in responses:
        if response.status_code == 409:
            assert response.json()["error"]["code"] == "ledger_conflict"
            assert (
                "line 1: capture 39000 exceeds the remaining authorized 0"
                in response.json()["error"]["message"]
            )
    line = OrderLine.objects.get(order=order, line_id=1)
    assert (line.authorized_amount, line.captured_amount) == (39800, 39800)
    assert PaymentOperation.objects.filter(order=order, kind="capture").count() == 2
    assert Event.objects.filter(order=order, kind="capture_recorded").count() == 2
    order.refresh_from_db()
    assert (order.captured_amount, order.payment_status) == (39800, "CAPTURED")


def test_concurrent_completion_of_one_draft_makes_one_order(api):
    draft = draft_new(api)
    responses = at_once(10, lambda i: client_like(api).call("put", f"draft_orders/{draft['id']}/complete"))
    assert statuses(responses) == Counter({200: 1, 409: 9})
    assert Order.objects.count() == 1
    assert OrderLine.objects.count() == 1
    assert DraftOrder.objects.get().status == "COMPLETED"
    assert Event.objects.filter(kind="draft_completed").count() == 1


def test_concurrent_reversals_that_only_together_exceed_the_line(api, account):
    order = make_order(account, [item(1, 39800)])
    drafts = [
        draft_new(api, draft_body([reversal(2 + i, of=1, gross=30000)], order_id=order.order_id))
        for i in range(2)
    ]
    responses = at_once(2, lambda i: client_like(api).call("put", f"draft_orders/{drafts[i]['id']}/complete"))
    # The loser is refused either for its reversal or, when it holds the lower line id, because
    # the winner's line ids are now taken: both conflicts with the order's state, never both written.
    assert sorted(r.status_code for r in responses) == [200, 409]
    assert OrderLine.objects.filter(order=order, related_type="reversed").count() == 1
    order.refresh_from_db()
    assert order.gross_amount == 9800


def test_concurrent_requests_with_one_idempotency_key_write_once(api, account):
    order = make_order(account, [item(1, 39800)])
    path = f"orders/{order.order_id}/authorizations"
    body = op_body([(1, 39800)])

    responses = at_once(10, lambda i: client_like(api).call("post", path, body, HTTP_IDEMPOTENCY_KEY="same"))

    counts = statuses(responses)
    assert set(counts) <= {201, 409} and counts[201] >= 1, counts
    created = {r.json()["id"] for r in responses if r.status_code == 201}
    assert len(created) == 1
    assert PaymentOperation.objects.filter(order=order).count() == 1
    assert IdempotencyRecord.objects.filter(key="same").count() == 1
    assert OrderLine.objects.get(order=order).authorized_amount == 39800
    # Once the first has answered, the key replays it.
    replay = api.call("post", path, body, HTTP_IDEMPOTENCY_KEY="same")
    assert (replay.status_code, replay.json()["id"]) == (201, created.pop())
