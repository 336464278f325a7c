"""Refund by item and quantity in a real browser: the total on the button as the agent chooses,
the reason in the timeline, the payment tiles. Without Chromium these tests skip, unless
REQUIRE_BROWSER=1 (as in CI), where they fail."""

import pytest

from orders.models import Order, PaymentOperation
from tests.support.browser import SCREENSHOTS, go, sign_in
from tests.support.orders import item, make_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def order_path(order: Order, suffix: str = "") -> str:
    return f"/{order.account.aid}/orders/{order.order_id}/{suffix}"


def test_refund_one_of_three_chairs_with_a_reason(page, staff, account):
    order = make_order(
        account,
        [
            item(1, 119400, quantity=3, description="Stablestol"),
            item(2, 24900, quantity=1, description="Kaffe"),
        ],
        captured=True,
    )
    sign_in(page, staff["Finance"])
    go(page, order_path(order))
    page.get_by_role("link", name="Refund", exact=True).click()
    quantity = page.get_by_label("Refund: how many items of line 1")
    quantity.wait_for()
    button = page.locator("[data-operation-submit]")
    assert button.inner_text() == "Refund"  # nothing chosen yet
    quantity.select_option("1")
    assert button.inner_text() == "Refund 398,00\xa0kr"
    page.get_by_label("Refund: another amount on line 2").fill("49,50")
    assert button.inner_text() == "Refund 447,50\xa0kr"
    page.get_by_label("Refund: another amount on line 2").fill("")
    assert button.inner_text() == "Refund 398,00\xa0kr"
    page.get_by_label("Reason").fill("Damaged in transport")
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "refund_by_item_form.png"), full_page=True)
    button.click()
    page.get_by_text("Refund of 398,00\xa0kr recorded.").wait_for()
    timeline = page.locator("#timeline")
    assert "Refund of 398,00\xa0kr on line 1 (PID_123): Damaged in transport" in timeline.inner_text()
    assert page.get_by_test_id("tile-net-paid").inner_text().endswith("1\xa0045,00\xa0kr")
    assert page.get_by_test_id("tile-refunded").inner_text().endswith("398,00\xa0kr")
    assert PaymentOperation.objects.get(kind="refund").metadata == {"reason": "Damaged in transport"}
