"""In the browser: the agent sees who and where the customer is, corrects the city with a
reason, and reads the change in the timeline."""

import pytest

from orders.models import Event, EventKind
from tests.support.browser import SCREENSHOTS, go, sign_in
from tests.support.orders import make_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_customer_card_and_an_address_change_in_the_timeline(page, roles, staff, account):
    order = make_order(
        account,
        customer={
            "first_name": "Kari",
            "last_name": "Nordmann",
            "email": "kari@example.no",
            "phone_number": "+4799999999",
        },
        shipping_address={
            "address_line": "Storgata 1",
            "postal_code": "0155",
            "postal_place": "Osloo",
            "country": "NO",
        },
    )
    sign_in(page, staff["Customer service"])
    go(page, f"/{account.aid}/orders/{order.order_id}/")
    card = page.get_by_test_id("customer-card")
    assert "Kari Nordmann" in card.inner_text() and "0155 Osloo" in card.inner_text()
    assert "1 order · paid 0,00" in card.inner_text()

    card.get_by_role("link", name="Edit customer").click()
    city = page.locator("#action-panel").get_by_label("City").first
    city.fill("Oslo")
    page.get_by_label("Reason for the change").fill("Customer called: typo in the city")
    page.get_by_role("button", name="Save customer details").click()
    page.get_by_text("Customer details saved.").wait_for()

    assert "0155 Oslo" in page.get_by_test_id("customer-card").inner_text()
    timeline = page.locator(".timeline").inner_text()
    assert "Shipping address, city: Osloo → Oslo" in timeline
    assert "Customer called: typo in the city" in timeline
    assert Event.objects.filter(order=order, kind=EventKind.CUSTOMER_UPDATED).count() == 1
    page.screenshot(path=str(SCREENSHOTS / "order_page_customer_card.png"), full_page=True)
