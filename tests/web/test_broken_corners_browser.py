"""Corners of the staff pages, as staff see them in Chromium: each test proves one works."""

import re
from decimal import Decimal
from itertools import pairwise

import pytest

from payments.models import CallKind, SandboxFault
from payments.services.calls import provider_action
from tests.payments.helpers import STAFF, sandbox_paid
from tests.support.browser import SCREENSHOTS, go, sign_in
from tests.support.orders import item, make_order, record

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sandbox(settings):
    settings.PAYMENTS_SANDBOX = True
    settings.DINTERO_ACCOUNT_ID = ""
    settings.DINTERO_CLIENT_ID = ""
    settings.DINTERO_CLIENT_SECRET = ""


def styled(page) -> bool:
    """The page has the back-office's stylesheet applied (not the browser's default look)."""
    return page.evaluate("getComputedStyle(document.body).fontFamily").startswith("system-ui")


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_setting_a_sandbox_fault_stays_on_the_order_page_and_refund_still_asks_first(
    page, sandbox, staff, account
):
    order = make_order(account)
    sandbox_paid(order)
    provider_action(order=order, kind=CallKind.CAPTURE, items=None, actor=STAFF)
    order_page = f"/{account.aid}/orders/{order.order_id}/"
    sign_in(page, staff["Administrator"])
    dialogs = []

    def answer(dialog):
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", answer)

    go(page, order_page)
    panel = page.get_by_test_id("payments-panel")
    panel.get_by_text("Sandbox: make the next call fail").click()
    page.get_by_label("Next").select_option("refund")
    page.get_by_label("will").select_option("decline")
    page.get_by_role("button", name="Set").click()
    panel.get_by_test_id("payments-notice").filter(has_text="next refund will be declined").wait_for()
    assert SandboxFault.objects.filter(account=account.aid, kind="refund").exists()
    # Still the whole order page, styled, with its way back to the list.
    assert page.url.endswith(order_page)
    assert styled(page)
    assert page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Orders").count() == 1

    # Refund asks before it sends anything; dismissed, nothing is sent.
    page.get_by_role("button", name=re.compile("Refund at provider")).click()
    page.wait_for_load_state("networkidle")
    assert dialogs and "Refund 398,00" in dialogs[0]
    assert SandboxFault.objects.filter(account=account.aid, kind="refund").exists()
    shot(page, "corner_sandbox_fault_on_the_order_page")


def test_the_payments_page_without_script_is_the_styled_staff_page(page, sandbox, staff, account):
    order = make_order(account)
    sandbox_paid(order)
    sign_in(page, staff["Administrator"])
    page.context.set_extra_http_headers({})
    go(page, f"/{account.aid}/orders/{order.order_id}/payments/")
    assert styled(page)
    assert page.get_by_test_id("payment-status").inner_text() == "Authorized"
    page.get_by_role("link", name="Back to the order").click()
    page.wait_for_url(f"**/orders/{order.order_id}/")


@pytest.fixture
def no_script_page(browser, live_server, settings, request):
    """A page in a browser with script turned off, as a customer's may be."""
    settings.PUBLIC_URL = live_server.url
    context = browser.new_context(
        viewport={"width": 1024, "height": 768}, base_url=live_server.url, java_script_enabled=False
    )
    page = context.new_page()
    page.base_url = live_server.url
    yield page
    shot(page, request.node.name)
    context.close()


def test_the_customers_payment_page_is_styled_without_script(no_script_page, sandbox, account):
    from payments.services.sessions import session_create

    page = no_script_page
    order = make_order(account)
    session = session_create(order=order, items=None, actor=STAFF)
    page.goto(session.url)
    assert styled(page)
    pay = page.get_by_role("button", name="Pay 398,00 kr")
    assert pay.evaluate("b => getComputedStyle(b).backgroundColor") != "rgb(239, 239, 239)"
    shot(page, "corner_sandbox_payment_page_without_script")
    pay.click()
    page.get_by_test_id("payment-result").filter(has_text="Payment authorized").wait_for()
    assert styled(page)


# Whatever scrolls sideways: the page itself, or a box that scrolls its content.
SIDEWAYS = """() => [document.documentElement, ...document.querySelectorAll("main *")]
  .filter((e) => e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== "hidden"
    && (e === document.documentElement || getComputedStyle(e).overflowX !== "visible"))
  .map((e) => `${e.tagName}.${e.className} ${e.scrollWidth}/${e.clientWidth}`)"""


@pytest.mark.parametrize("width", [1024, 1440])
def test_the_finance_page_does_not_scroll_sideways(page, staff, account, width):
    for currency, rate, gross in (
        ("NOK", 25, 12191600),
        ("NOK", 15, 244120),
        ("NOK", 0, 244300),
        ("SEK", 25, 1359500),
    ):
        order = make_order(account, [item(1, gross, rate), item(2, 69800, 25)], currency=currency)
        record(order, "authorization", [(1, gross), (2, 69800)])
        record(order, "capture", [(1, gross), (2, 69800)])
        record(order, "refund", [(1, gross // 3), (2, 69800)])
    sign_in(page, staff["Finance"])
    page.set_viewport_size({"width": width, "height": 900})
    go(page, f"/{account.aid}/finance/")
    page.locator("#vat-table").wait_for()
    assert page.evaluate(SIDEWAYS) == []
    # The difference's VAT and net are on screen.
    net = page.locator("#vat-table tbody tr").first.locator("td").nth(-2)
    assert net.bounding_box()["x"] + net.bounding_box()["width"] <= width
    # The chart's dates along its axis do not run into each other.
    first_chart = page.locator(".chart").first.locator(".chart__xlabel")
    boxes = first_chart.evaluate_all("ls => ls.map(l => { const b = l.getBBox(); return [b.x, b.width] })")
    for (x, w), (next_x, _) in pairwise(boxes):
        assert x + w + 4 <= next_x, boxes
    shot(page, f"corner_finance_at_{width}")


def test_a_cancelled_order_says_cancelled_once_and_offers_nothing_to_authorize(page, staff, account):
    from orders.services.operations import order_cancel

    order = make_order(account, [item(1), item(2, 10000)], authorized=[(1, 39800)])
    order_cancel(order=order, actor=STAFF, reason="the customer changed their mind")
    sign_in(page, staff["Customer service"])
    go(page, f"/{account.aid}/orders/{order.order_id}/")
    badges = page.locator(".page-head .badges .badge")
    assert badges.all_inner_texts() == ["Cancelled"]
    totals = page.locator(".totals")
    assert totals.get_by_text("To authorize").count() == 0
    assert totals.get_by_text("To capture").count() == 0
    assert page.get_by_role("link", name="Authorize").count() == 0
    # What was never paid is not owed either.
    balance = page.get_by_test_id("tile-balance").inner_text()
    assert "still owes" not in balance and "cancelled" in balance
    shot(page, "corner_cancelled_order")


def test_the_drafts_list_tells_drafts_apart(page, staff, account):
    from orders.inputs import DraftDocument, DraftItem, DraftOptions, TaxLine
    from orders.services.drafts import draft_create, draft_item_add

    options = DraftOptions(generate_order_id="ALPHANUMERIC_9")
    kari = draft_create(
        account=account,
        document=DraftDocument(currency="NOK", customer={"first_name": "Kari", "last_name": "Nordmann"}),
        options=options,
        actor=STAFF,
    )
    draft_item_add(
        draft=kari,
        item=DraftItem(
            line_id=1,
            id="175938",
            description="Stablestol for utendørsbruk",
            description_alias="Stablestol",
            quantity=2,
            gross_amount=39800,
            tax_lines=[TaxLine(amount=7960, percentage=Decimal(25))],
        ),
        actor=STAFF,
    )
    draft_create(
        account=account,
        document=DraftDocument(currency="NOK", customer={"email": "ola@example.no"}),
        options=options,
        actor=STAFF,
    )
    order = make_order(account, customer={"first_name": "Per", "last_name": "Hansen"})
    draft_create(
        account=account,
        document=DraftDocument(currency="NOK"),
        options=DraftOptions(order_id=order.order_id),
        actor=STAFF,
    )
    sign_in(page, staff["Customer service"])
    go(page, f"/{account.aid}/drafts/")
    rows = [r.replace("\xa0", " ") for r in page.get_by_test_id("draft-row").all_inner_texts()]
    assert len(rows) == 3 and len(set(rows)) == 3
    kari_row = next(r for r in rows if "Kari Nordmann" in r)
    assert "2 \u00d7 Stablestol" in kari_row and "398,00 kr" in kari_row
    assert any("ola@example.no" in r and "No lines yet" in r for r in rows)
    assert any("Per Hansen" in r and f"Update of {order.order_id}" in r for r in rows)
    shot(page, "corner_drafts_list")


# The field marked in error that has focus (a selector: waiting on a script would need eval,
# which the policy forbids).
FOCUS_IN_ERROR = '[aria-invalid="true"]:focus'


def test_a_refused_operation_form_focuses_the_field_in_error_and_ties_its_message_to_it(page, staff, account):
    order = make_order(
        account,
        [
            item(1, 119400, quantity=3, description="Stablestol"),
            item(2, 24900, quantity=1, description="Kaffe"),
        ],
        authorized=True,
    )
    sign_in(page, staff["Customer service"])
    go(page, f"/{account.aid}/orders/{order.order_id}/")
    page.get_by_role("link", name="Capture", exact=True).click()
    quantity = page.get_by_label("Capture: how many items of line 1")
    quantity.wait_for()
    quantity.select_option("1")
    other = page.get_by_label("Capture: another amount on line 2")
    other.fill("500")  # more than the 249,00 kr authorized on line 2
    quantity.focus()
    page.locator("[data-operation-submit]").click()
    field = page.get_by_label("Capture: another amount on line 2")
    page.locator('[aria-invalid="true"]').first.wait_for()
    page.locator(FOCUS_IN_ERROR).wait_for()
    assert page.evaluate("document.activeElement.id") == field.get_attribute("id")
    described = field.get_attribute("aria-describedby")
    message = page.locator(f"#{described}").inner_text()
    assert "line 2" in message and "249,00" in message
    shot(page, "corner_operation_error_focus")


def test_escape_closes_the_action_panel_and_returns_to_its_button(page, staff, account):
    order = make_order(account, authorized=True)
    sign_in(page, staff["Customer service"])
    go(page, f"/{account.aid}/orders/{order.order_id}/")
    capture = page.get_by_role("link", name="Capture", exact=True)
    capture.click()
    quantity = page.get_by_label("Capture: how many items of line 1")
    quantity.wait_for()
    quantity.focus()
    page.keyboard.press("Escape")
    page.locator("#action-panel form").wait_for(state="detached")
    assert page.locator("#action-panel").inner_html().strip() == ""
    assert page.evaluate("document.activeElement.textContent.trim()") == "Capture"
    # And it opens again.
    capture.click()
    quantity.wait_for()
    shot(page, "corner_action_panel_reopened")


def test_the_redoc_page_loads_nothing_from_a_cdn(page, live_server):
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    go(page, "/api/redoc/")
    page.get_by_text("Order back-office API").first.wait_for()
    page.get_by_text("API docs by Redocly").wait_for()
    page.wait_for_load_state("networkidle")
    elsewhere = [url for url in requested if not url.startswith((live_server.url, "data:", "blob:"))]
    assert elsewhere == []
    logo = page.get_by_role("img", name="redocly logo")
    assert logo.get_attribute("src").startswith("data:image/svg+xml")
    page.screenshot(path=str(SCREENSHOTS / "corner_redoc_without_a_cdn.png"))


def test_a_refused_draft_line_focuses_the_field_in_error(page, staff, account):
    from orders.inputs import DraftDocument, DraftOptions
    from orders.services.drafts import draft_create

    draft = draft_create(
        account=account,
        document=DraftDocument(currency="NOK"),
        options=DraftOptions(generate_order_id="ALPHANUMERIC_9"),
        actor=STAFF,
    )
    sign_in(page, staff["Customer service"])
    go(page, f"/{account.aid}/drafts/{draft.pk}/")
    form = page.locator("form", has=page.get_by_role("button", name="Add line"))
    form.get_by_label("Description").fill("Stablestol")
    form.get_by_label("Line total incl. VAT").fill("three hundred")
    form.get_by_label("Description").focus()
    form.get_by_role("button", name="Add line").click()
    page.locator(FOCUS_IN_ERROR).wait_for()
    amount = page.locator("form", has=page.get_by_role("button", name="Add line")).get_by_label(
        "Line total incl. VAT"
    )
    assert page.evaluate("document.activeElement.id") == amount.get_attribute("id")
    assert page.locator(f"#{amount.get_attribute('aria-describedby').split()[0]}").inner_text()
    shot(page, "corner_draft_line_error_focus")
