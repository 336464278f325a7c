"""Concurrent payment-link requests on PostgreSQL: the order's lock and the link's hold from the
moment it is stored let at most one payable link cover any amount."""

import pytest

from payments.models import PAYABLE, PaymentSession
from tests.support.api import client_like, statuses
from tests.support.orders import item, make_order
from tests.support.threads import at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_ten_concurrent_link_requests_make_one_payable_link(api, account):
    order = make_order(account, [item(1, 10000)])
    path = f"/v1/accounts/{api.aid}/payments/orders/{order.order_id}/sessions"
    clients = [client_like(api) for _ in range(10)]

    responses = at_once(10, lambda i: clients[i].post(path, {}, format="json"))

    counts = statuses(responses)
    assert set(counts) <= {200, 201, 409}, counts
    assert PaymentSession.objects.filter(order=order, status__in=PAYABLE).count() == 1
    link = PaymentSession.objects.get(order=order)
    for response in responses:
        if response.status_code == 409:
            assert "being created" in response.json()["error"]["message"]
        else:
            assert response.json()["session"]["id"] == str(link.pk)


def test_concurrent_overlapping_links_leave_the_line_covered_once(api, account):
    order = make_order(account, [item(1, 10000)])
    path = f"/v1/accounts/{api.aid}/payments/orders/{order.order_id}/sessions"
    clients = [client_like(api) for _ in range(6)]
    amounts = [6000, 7000, 5000, 4000, 6500, 3000]

    at_once(
        6, lambda i: clients[i].post(path, {"items": [{"line_id": 1, "amount": amounts[i]}]}, format="json")
    )

    payable = PaymentSession.objects.filter(order=order, status__in=PAYABLE)
    assert sum(s.amount for s in payable) <= 10000
