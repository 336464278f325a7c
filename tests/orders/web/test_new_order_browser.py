"""New order with the customer and addresses in a real browser, through to the order page's
customer card; a bad field is told next to it. Screenshots under screenshots/."""

import pytest

from orders.models import Order
from tests.support.browser import SCREENSHOTS, go, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_new_order_with_addresses_ends_on_the_order_page_with_the_customer_card(page, staff, account):
    sign_in(page, staff["Customer service"])
    go(page, f"/{account.aid}/drafts/new/")
    customer = page.get_by_test_id("new-order-customer")
    customer.get_by_label("Customer first name").fill("Kari")
    customer.get_by_label("Customer last name").fill("Nordmann")
    customer.get_by_label("Customer e-mail").fill("kari@example.no")
    customer.get_by_label("Customer phone").fill("+47 999 99 999")
    shipping = page.get_by_test_id("new-order-shipping")
    shipping.get_by_label("Address", exact=True).fill("Sommerkroveien 34")
    shipping.get_by_label("Postcode").fill("349")
    shipping.get_by_label("City").fill("Oslo")
    assert shipping.get_by_label("Country").input_value() == "NO"
    # Billing is the shipping address until the box is cleared.
    billing = page.get_by_test_id("new-order-billing")
    assert page.get_by_label("Billing address same as shipping").is_checked()
    assert not billing.is_visible()
    page.get_by_label("Billing address same as shipping").uncheck()
    billing.wait_for()
    billing.get_by_label("Company").fill("Nordmann AS")
    billing.get_by_label("Address", exact=True).fill("Storgata 1")
    billing.get_by_label("Postcode").fill("0155")
    billing.get_by_label("City").fill("Oslo")
    page.get_by_role("button", name="Start draft").click()

    # A Norwegian postcode is four digits: told next to the field, the rest kept.
    error = shipping.locator(".field--error", has=page.get_by_label("Postcode"))
    error.get_by_text("a Norwegian postcode is four digits").wait_for()
    assert shipping.get_by_label("City").input_value() == "Oslo"
    assert customer.get_by_label("Customer phone").input_value() == "+47 999 99 999"
    page.screenshot(path=str(SCREENSHOTS / "new_order_postcode_error.png"), full_page=True)
    shipping.get_by_label("Postcode").fill("0349")
    page.get_by_role("button", name="Start draft").click()

    form = page.locator("form", has=page.get_by_role("button", name="Add line"))
    form.get_by_label("Description").fill("Stablestol")
    form.get_by_label("Quantity").fill("1")
    form.get_by_label("Line total incl. VAT").fill("398")
    form.get_by_role("button", name="Add line").click()
    page.get_by_role("cell", name="Stablestol").wait_for()
    page.get_by_role("button", name="Complete order").click()
    page.wait_for_url(f"**/{account.aid}/orders/*/")

    card = page.get_by_test_id("customer-card")
    card.get_by_text("Kari Nordmann").first.wait_for()
    assert card.get_by_role("link", name="kari@example.no").is_visible()
    assert card.get_by_role("link", name="+4799999999").is_visible()
    shipping_card, billing_card = card.get_by_test_id("address-1"), card.get_by_test_id("address-2")
    assert "Sommerkroveien 34" in shipping_card.inner_text()
    assert "0349 Oslo" in shipping_card.inner_text()
    assert "Nordmann AS" in billing_card.inner_text() and "Storgata 1" in billing_card.inner_text()
    page.screenshot(path=str(SCREENSHOTS / "new_order_customer_card.png"), full_page=True)

    order = Order.objects.get(account=account)
    assert order.customer["phone_number"] == "+4799999999"
    assert order.shipping_address["postal_code"] == "0349"
    assert order.billing_address["business_name"] == "Nordmann AS"


def test_new_order_page(page, staff, account):
    sign_in(page, staff["Customer service"])
    go(page, f"/{account.aid}/drafts/new/")
    page.get_by_role("heading", name="New order").wait_for()
    page.screenshot(path=str(SCREENSHOTS / "new_order.png"), full_page=True)
