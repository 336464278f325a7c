"""The customer on the order: the card with addresses and other orders, and changing the
customer's details with a reason, as an event in the timeline."""

import pytest

from backoffice.errors import InvalidInput
from orders.models import Event, EventKind
from orders.services.customer import order_customer_update
from tests.support.orders import TEST_ACTOR, make_order, record

SHIPPING = {
    "first_name": "Kari",
    "last_name": "Nordmann",
    "address_line": "Storgata 1",
    "postal_code": "0155",
    "postal_place": "Osloo",
    "country": "NO",
}


@pytest.fixture
def order(account):
    return make_order(
        account,
        customer={"first_name": "Kari", "last_name": "Nordmann", "email": "Kari@Example.no"},
        shipping_address=SHIPPING,
        billing_address={},
    )


def test_the_order_page_shows_the_customer_and_both_addresses(login, order, account):
    other = make_order(account, customer={"email": "kari@example.no"})
    record(other, "authorization", [(1, 39800)])
    record(other, "capture", [(1, 39800)])
    page = login("Customer service").get(f"/{account.aid}/orders/{order.order_id}/").content.decode()
    assert "Storgata 1" in page and "0155 Osloo" in page
    assert "Billing address" in page and "None given" in page
    # Both orders are hers (the e-mail in any case), and she paid 398,00 kr on the other.
    assert "2 orders · paid 398,00\xa0kr" in page
    assert f"/{account.aid}/orders/?q=kari%40example.no" in page
    assert "Edit customer" in page


def test_changing_the_address_needs_a_reason_and_is_in_the_timeline(login, order, account):
    client = login("Customer service")
    url = f"/{account.aid}/orders/{order.order_id}/customer/"
    form = client.get(url).content.decode()
    assert 'value="Osloo"' in form
    fields = {f"shipping_address-{k}": v for k, v in SHIPPING.items()}
    fields["shipping_address-postal_place"] = "Oslo"
    fields["customer-first_name"] = "Kari"
    fields["customer-last_name"] = "Nordmann"
    fields["customer-email"] = "Kari@Example.no"
    fields["customer-phone_number"] = "+4799999999"

    refused = client.post(url, {**fields, "reason": ""})
    assert refused.status_code == 422
    assert not Event.objects.filter(order=order, kind=EventKind.CUSTOMER_UPDATED).exists()

    response = client.post(url, {**fields, "reason": "Customer called: typo in the city"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.shipping_address["postal_place"] == "Oslo"
    assert order.customer["phone_number"] == "+4799999999"
    event = Event.objects.get(order=order, kind=EventKind.CUSTOMER_UPDATED)
    assert event.created_by == "customer"
    assert event.data["reason"] == "Customer called: typo in the city"
    page = client.get(f"/{account.aid}/orders/{order.order_id}/").content.decode()
    assert "Shipping address, city: Osloo → Oslo" in page
    assert "(reason: Customer called: typo in the city)" in page


def test_finance_may_not_change_the_customer(login, order, account):
    response = login("Finance").post(f"/{account.aid}/orders/{order.order_id}/customer/", {"reason": "x"})
    assert response.status_code == 403


def test_no_change_writes_nothing_and_other_keys_are_kept(order):
    order.customer = {**order.customer, "customer_id": "C-1"}
    order.save(update_fields=["customer"])
    same = {"first_name": "Kari", "last_name": "Nordmann", "email": "Kari@Example.no"}
    order_customer_update(
        order=order,
        customer=same,
        shipping_address=SHIPPING,
        billing_address={},
        reason="checked",
        actor=TEST_ACTOR,
    )
    assert not Event.objects.filter(order=order, kind=EventKind.CUSTOMER_UPDATED).exists()
    order_customer_update(
        order=order,
        customer={**same, "email": ""},
        shipping_address=SHIPPING,
        billing_address={},
        reason="asked to be forgotten",
        actor=TEST_ACTOR,
    )
    order.refresh_from_db()
    assert "email" not in order.customer and order.customer["customer_id"] == "C-1"
    with pytest.raises(InvalidInput):
        order_customer_update(
            order=order, customer=same, shipping_address={}, billing_address={}, reason=" ", actor=TEST_ACTOR
        )
