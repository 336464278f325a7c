"""The staff pages in a real browser: Playwright driving Debian's Chromium against live_server.

Without Chromium these tests skip, unless REQUIRE_BROWSER=1 (as in CI), where they fail.
Each scenario saves a screenshot under screenshots/.
"""

import pytest

from orders.models import OperationKind, Order, PaymentOperation
from tests.support.browser import SCREENSHOTS, go, htmx_idle, sign_in
from tests.support.orders import item, make_order, record

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def order_path(order: Order, suffix: str = "") -> str:
    return f"/{order.account.aid}/orders/{order.order_id}/{suffix}"


def test_sign_in(page, staff, account):
    go(page, "/")
    page.get_by_label("Username").fill("customer")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Work queues").wait_for()
    assert page.url.endswith(f"/{account.aid}/work/")
    assert page.get_by_role("navigation", name="Main").is_visible()


def test_search_and_filter(page, staff, account):
    kari = make_order(account, customer={"first_name": "Kari", "last_name": "Nordmann"})
    ola = make_order(account, customer={"first_name": "Ola", "last_name": "Hansen"})
    record(ola, "authorization", [(1, 39800)], payment_id="PAY-OLA")
    sign_in(page, staff["Customer service"])
    go(page, f"/{account.aid}/orders/")
    page.get_by_label("Search", exact=True).fill("nordmann")
    page.wait_for_url("**q=nordmann**")
    page.get_by_text("1 order matching").wait_for()
    assert page.get_by_role("link", name=kari.order_id).is_visible()
    assert page.get_by_role("link", name=ola.order_id).count() == 0
    page.get_by_label("Search", exact=True).fill("")
    page.get_by_label("Payment status").select_option("AUTHORIZED")
    page.wait_for_url("**payment_status=AUTHORIZED**")
    page.get_by_role("link", name=ola.order_id).wait_for()
    assert page.get_by_role("link", name=kari.order_id).count() == 0
    page.reload()
    assert page.get_by_label("Payment status").input_value() == "AUTHORIZED"


def test_build_two_line_draft_and_complete(page, staff, account):
    sign_in(page, staff["Customer service"])
    go(page, f"/{account.aid}/orders/")
    page.get_by_role("link", name="New order").first.click()
    page.get_by_label("Customer first name").fill("Kari")
    page.get_by_label("Customer e-mail").fill("kari@example.no")
    page.get_by_role("button", name="Start draft").click()
    for sku, description, quantity, amount, rate in [
        ("175938", "Stablestol for utendørsbruk", "2", "398", "25"),
        ("310554", "Kaffe, hele bønner", "1", "249,00", "15"),
    ]:
        form = page.locator("form", has=page.get_by_role("button", name="Add line"))
        form.get_by_label("SKU").fill(sku)
        form.get_by_label("Description").fill(description)
        form.get_by_label("Quantity").fill(quantity)
        form.get_by_label("VAT rate").select_option(rate)
        form.get_by_label("Line total incl. VAT").fill(amount)
        page.locator("#new-vat").filter(has_text="VAT").wait_for()
        form.get_by_role("button", name="Add line").click()
        page.get_by_role("cell", name=description).wait_for()
    assert "32,48" in page.content()  # 249,00 at 15 % contains 32,48 VAT
    page.screenshot(path=str(SCREENSHOTS / "draft_builder.png"), full_page=True)
    page.get_by_role("button", name="Complete order").click()
    page.wait_for_url(f"**/{account.aid}/orders/*/")
    page.get_by_role("heading", name="Payment operations").wait_for()
    order = Order.objects.get(account=account)
    assert order.gross_amount == 64700 and order.lines.count() == 2
    assert page.get_by_text("647,00 kr").first.is_visible()


def test_authorize_capture_part_and_refund(page, staff, account):
    order = make_order(account)
    sign_in(page, staff["Administrator"])
    go(page, order_path(order))
    page.get_by_role("link", name="Authorize").click()
    page.get_by_label("Authorization: how many items of line 1").select_option("2")
    page.get_by_label("Payment id").fill("PID_123")
    page.get_by_role("button", name="Authorize 398,00").click()
    page.get_by_text("Authorization of 398,00 kr recorded").wait_for()
    # The order page again: until its payments panel has loaded, the panel's placeholder links
    # to "Payment links, captures and refunds at the provider", a second "Capture" and "Refund".
    htmx_idle(page)
    page.screenshot(path=str(SCREENSHOTS / "authorize.png"), full_page=True)
    page.get_by_role("link", name="Capture").click()
    page.get_by_label("Capture: another amount on line 1").fill("100,50")
    page.get_by_role("button", name="Capture").click()
    page.get_by_text("Capture of 100,50 kr recorded").wait_for()
    htmx_idle(page)
    assert page.locator(".badge", has_text="Partially captured").is_visible()
    page.screenshot(path=str(SCREENSHOTS / "capture_part.png"), full_page=True)
    page.get_by_role("link", name="Refund").click()
    # Nothing is selected until the agent selects it; the line offers what was captured.
    assert page.get_by_label("Refund: another amount on line 1").input_value() == ""
    page.get_by_label("Refund: another amount on line 1").fill("50")
    page.get_by_label("Reason").fill("Goodwill")
    page.get_by_role("button", name="Refund").click()
    page.get_by_text("Refund of 50,00 kr recorded").wait_for()
    order.refresh_from_db()
    assert (order.authorized_amount, order.captured_amount, order.refunded_amount) == (39800, 10050, 5000)


def _captured(account) -> Order:
    order = make_order(account, [item(1, 39800, quantity=2)], customer={"first_name": "Kari"})
    record(order, "authorization", [(1, 39800)])
    record(order, "capture", [(1, 39800)])
    return order


def _replace(page, order, amount: str) -> None:
    go(page, order_path(order))
    page.get_by_role("link", name="Replace item").click()
    page.get_by_label("Quantity of line 1 to reverse").fill("2")
    row = page.get_by_role("group", name="Replacement 1")
    row.get_by_label("SKU").fill("003929")
    row.get_by_label("Description").fill("Stablestol for innendørsbruk")
    row.get_by_label("Quantity").fill("2")
    row.get_by_label("Line total incl. VAT").fill(amount)


def test_replace_with_a_cheaper_item_adds_and_refunds_a_refund_line(page, staff, account):
    order = _captured(account)
    sign_in(page, staff["Administrator"])
    _replace(page, order, "298")
    page.get_by_text("a refund line of 100,00 kr").wait_for()
    page.screenshot(path=str(SCREENSHOTS / "replace_form.png"), full_page=True)
    page.get_by_role("button", name="Confirm replacement").click()
    page.get_by_role("button", name="Record the swap").click()
    page.screenshot(path=str(SCREENSHOTS / "replacement_steps.png"), full_page=True)
    page.get_by_role("button", name="Record refund of 100,00 kr").click()
    page.get_by_text("Refund the price difference: recorded refund").wait_for()
    go(page, order_path(order))
    assert page.locator("#line-4 .badge", has_text="Refund line").is_visible()
    assert page.locator("#line-2", has_text="Reverses").is_visible()
    order.refresh_from_db()
    assert (order.captured_amount, order.refunded_amount) == (39800, 10000)
    assert order.payment_status == "PARTIALLY_REFUNDED"
    # A laptop split screen: the order page still reads without sideways scrolling of the page.
    page.set_viewport_size({"width": 700, "height": 900})
    assert page.evaluate("document.documentElement.scrollWidth") <= 700
    page.screenshot(path=str(SCREENSHOTS / "order_split_screen.png"), full_page=True)


def test_replace_with_a_dearer_item_asks_for_an_extra_authorization(page, staff, account):
    order = _captured(account)
    sign_in(page, staff["Customer service"])
    _replace(page, order, "498")
    page.get_by_text("must be authorized under a new payment id").wait_for()
    page.get_by_role("button", name="Confirm replacement").click()
    page.get_by_role("button", name="Record the swap").click()
    page.get_by_role("heading", name="Authorize the extra amount under a new payment id").wait_for()
    page.get_by_label("New payment id").fill("PID_321")
    page.get_by_role("button", name="Authorize 100,00 kr").click()
    page.get_by_text("recorded authorization, capture").wait_for()
    assert (
        PaymentOperation.objects.filter(payment_id="PID_321", kind=OperationKind.AUTHORIZATION).count() == 1
    )
    order.refresh_from_db()
    assert order.payment_status == "CAPTURED" and order.captured_amount == 49800


def test_over_capture_shows_the_error_and_changes_nothing(page, staff, account):
    order = make_order(account, authorized=True)
    sign_in(page, staff["Customer service"])
    go(page, order_path(order))
    page.get_by_role("link", name="Capture").click()
    field = page.get_by_label("Capture: another amount on line 1")
    field.fill("500")
    page.get_by_role("button", name="Capture").click()
    page.get_by_text("exceeds the remaining authorized 398,00\xa0kr").wait_for()
    assert field.get_attribute("aria-invalid") == "true"
    assert not PaymentOperation.objects.filter(kind=OperationKind.CAPTURE).exists()
    order.refresh_from_db()
    assert order.captured_amount == 0


def test_double_clicked_capture_records_once(page, staff, account):
    order = make_order(account, authorized=True)
    sign_in(page, staff["Customer service"])
    go(page, order_path(order, "capture/"))
    page.get_by_label("Capture: another amount on line 1").fill("100")
    # Send the very same form twice, as a double click on a slow connection does...
    page.evaluate(
        """() => {
            const form = document.querySelector('form.operation-form');
            const send = () => fetch(form.action, {method: 'POST', body: new FormData(form)});
            return Promise.all([send(), send()]);
        }"""
    )
    # ...and double-click the button itself.
    page.get_by_role("button", name="Capture").dblclick()
    page.wait_for_url(f"**{order_path(order)}")
    assert PaymentOperation.objects.filter(kind=OperationKind.CAPTURE).count() == 1
    order.refresh_from_db()
    assert order.captured_amount == 10000


def test_customer_service_cannot_reach_refunds(page, staff, account):
    order = _captured(account)
    sign_in(page, staff["Customer service"])
    go(page, order_path(order))
    assert page.get_by_role("link", name="Refund").count() == 0
    response = page.goto(order_path(order, "refund/"))
    assert response.status == 403
    page.get_by_role("heading", name="Not allowed").wait_for()
    assert not PaymentOperation.objects.filter(kind=OperationKind.REFUND).exists()
