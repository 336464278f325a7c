"""Every page works under the Content-Security-Policy: Chromium reports no violation on the staff
pages (htmx fragments included), the admin, the API docs and the payment pages."""

import re
from urllib.parse import urlsplit

import pytest

from orders.models import PaymentOperation
from tests.support.browser import go, sign_in
from tests.support.factories import UserFactory
from tests.support.orders import item, make_order, record

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Records every violation the page reports, before any of its own scripts run.
LISTEN = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  const where = `${e.sourceFile}:${e.lineNumber}`;
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${where}`);
});
"""


@pytest.fixture
def csp_page(page):
    """The page, watching for violations: console errors about the policy and the DOM's events."""
    page.violations = []
    page.add_init_script(LISTEN)

    def on_console(message):
        if message.type == "error" and "Content Security Policy" in message.text:
            page.violations.append(f"{page.url}: {message.text}")

    page.on("console", on_console)
    return page


# Violations expected on purpose: none (Redoc's footer logo no longer comes from its CDN).
EXPECTED: list[re.Pattern[str]] = []


def assert_no_violations(page) -> None:
    page.wait_for_load_state("networkidle")
    reported = page.evaluate("window.__cspViolations || []")
    page.violations += [f"{page.url}: {v}" for v in reported]
    page.violations = [v for v in page.violations if not any(e.search(v) for e in EXPECTED)]
    assert page.violations == [], "\n".join(page.violations)


def visit(page, path: str) -> None:
    response = page.goto(path)
    assert urlsplit(page.url).path == urlsplit(path).path, f"{path} went to {page.url}"
    assert "content-security-policy" in response.headers, path
    assert_no_violations(page)


def test_the_staff_pages_run_under_the_policy(csp_page, staff, account):
    page = csp_page
    order = make_order(account, [item(1), item(2, gross=10000)])
    record(order, "authorization", [(1, 39800)], payment_id="PID-1")
    record(order, "capture", [(1, 20000)], payment_id="PID-1")
    sign_in(page, staff["Administrator"])

    # The order list, with a search sent by htmx.
    visit(page, f"/{account.aid}/orders/")
    page.get_by_label("Search", exact=True).fill(order.order_id)
    page.wait_for_url(f"**q={order.order_id}**")
    assert_no_violations(page)

    # An order page, its payments panel loaded by htmx, a payment link made and selected.
    visit(page, f"/{account.aid}/orders/{order.order_id}/")
    panel = page.get_by_test_id("payments-panel")
    panel.wait_for()
    panel.get_by_role("button", name=re.compile("Send payment link")).click()
    link = page.get_by_test_id("payment-link").first
    link.wait_for()
    link.click()
    # The link's text is selected on click (a script file now, no inline onclick).
    selected = "() => { const f = document.activeElement; return f.selectionEnd - f.selectionStart }"
    assert page.evaluate(selected) == len(link.input_value())
    assert_no_violations(page)
    url = link.input_value()

    # The customer's payment page and the page they return to.
    visit(page, url)
    page.get_by_role("button", name=re.compile("^Pay")).click()
    page.get_by_test_id("payment-result").wait_for()
    assert_no_violations(page)

    # The draft builder, with the VAT hint htmx fetches as a line is typed.
    go(page, f"/{account.aid}/orders/")
    page.get_by_role("link", name="New order").first.click()
    page.get_by_role("button", name="Start draft").click()
    form = page.locator("form", has=page.get_by_role("button", name="Add line"))
    form.get_by_label("SKU").fill("175938")
    form.get_by_label("Description").fill("Stablestol")
    form.get_by_label("Line total incl. VAT").fill("398")
    page.locator("#new-vat").filter(has_text="VAT").wait_for()
    form.get_by_role("button", name="Add line").click()
    page.get_by_role("cell", name="Stablestol").wait_for()
    assert_no_violations(page)

    # Finance, with its chart, and the books check.
    visit(page, f"/{account.aid}/finance/?preset=this_month")
    visit(page, f"/{account.aid}/finance/books/")

    # The admin, as a superuser (a transactional test's flush takes the role's admin permissions,
    # which come from a migration): index, an order's change page, an operation's (with its money
    # note), staff, lock-outs.
    root = UserFactory(username="root", is_superuser=True, accounts=[account])
    root.save()  # the factory saves its password only with a role
    sign_in(page, root)
    visit(page, "/admin/")
    visit(page, f"/admin/orders/order/{order.pk}/change/")
    operation = PaymentOperation.objects.filter(order=order).first()
    visit(page, f"/admin/orders/paymentoperation/{operation.pk}/change/")
    page.get_by_role("note").filter(has_text="Replace item").wait_for()
    visit(page, "/admin/auth/user/")
    visit(page, "/admin/axes/accessattempt/")


def test_the_sign_in_and_error_pages_run_under_the_policy(csp_page, staff):
    visit(csp_page, "/login/")
    visit(csp_page, "/no-such-page/")


def test_the_api_docs_run_under_the_policy(csp_page):
    page = csp_page
    visit(page, "/api/docs/")
    page.get_by_text("/v1/accounts/{aid}/auth/token").first.wait_for()
    page.get_by_text("/v1/accounts/{aid}/auth/token").first.click()
    assert_no_violations(page)
    visit(page, "/api/redoc/")
    page.get_by_text("Order back-office API").first.wait_for()
    assert_no_violations(page)
