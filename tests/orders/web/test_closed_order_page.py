"""A closed order on the staff pages: what it no longer takes (authorizations, captures, payment
links, update drafts) is not offered; what is left may still be refunded or cancelled."""

import pytest

from backoffice.actor import Actor
from orders.services.status import order_close
from tests.support.orders import make_order, record


@pytest.fixture
def sandbox(settings):
    settings.PAYMENTS_SANDBOX = True
    settings.DINTERO_ACCOUNT_ID = ""


def test_a_closed_order_offers_only_what_it_still_takes(account, login):
    order = make_order(account)
    record(order, "authorization", [(1, 19900)])
    client = login("Administrator")
    page = f"/{account.aid}/orders/{order.order_id}/"
    before = client.get(page).context["can"]
    assert before["authorize"] and before["capture"] and before["cancellation"] and before["update"]

    order_close(order=order, actor=Actor(system="tests"))
    response = client.get(page)
    can = response.context["can"]
    assert not can["authorize"] and not can["capture"] and not can["update"] and not can["replace"]
    assert can["cancellation"] and can["cancel"] and can["note"]
    assert "Closed" in response.content.decode()


def test_a_closed_orders_payment_panel_sends_no_payment_link(account, login, sandbox):
    order = make_order(account)
    client = login("Administrator")
    panel = f"/{account.aid}/orders/{order.order_id}/payments/panel"
    assert "Send payment link" in client.get(panel).content.decode()
    order_close(order=order, actor=Actor(system="tests"))
    assert "Send payment link" not in client.get(panel).content.decode()
