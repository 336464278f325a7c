"""The seeds' checkout flow in a real browser, through the sandbox provider: payment link →
sandbox payment page → authorized → capture → refund, from the order page.

Playwright drives Debian's Chromium against live_server, as the staff-page tests do. Without
Chromium it skips, unless REQUIRE_BROWSER=1, where it fails.
"""

import pytest

from orders.models import OperationKind, PaymentOperation, PaymentStatus
from payments.models import CallState, ProviderCall
from tests.support.browser import go, sign_in
from tests.support.orders import make_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_checkout_flow_link_pay_capture_refund(page, roles, staff, account):
    order = make_order(account)
    order_page = f"/{account.aid}/orders/{order.order_id}/"
    sign_in(page, staff["Administrator"])
    page.on("dialog", lambda dialog: dialog.accept())

    # Staff send a payment link and copy it.
    go(page, order_page)
    panel = page.get_by_test_id("payments-panel")
    panel.get_by_role("button", name="Send payment link").click()
    link = page.get_by_test_id("payment-link")
    link.wait_for()
    url = link.input_value()
    assert "/payments/sandbox/" in url

    # The customer pays in the sandbox.
    go(page, url)
    page.get_by_role("button", name="Pay 398,00").click()
    page.get_by_test_id("payment-result").filter(has_text="Payment authorized").wait_for()
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.AUTHORIZED

    # Capture at the provider, one click.
    go(page, order_page)
    page.get_by_role("button", name="Capture at provider").click()
    page.get_by_test_id("payments-notice").filter(has_text="done at the provider and recorded").wait_for()
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.CAPTURED

    # Refund at the provider, one click (and a confirmation).
    go(page, order_page)
    page.get_by_role("button", name="Refund at provider").click()
    page.get_by_test_id("payments-notice").filter(has_text="Refund of").wait_for()
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.REFUNDED
    assert PaymentOperation.objects.filter(order=order, kind=OperationKind.CAPTURE).count() == 1
    assert PaymentOperation.objects.filter(order=order, kind=OperationKind.REFUND).count() == 1
    assert set(ProviderCall.objects.values_list("state", flat=True)) == {CallState.SUCCEEDED}

    # Every call shows in the timeline.
    go(page, order_page)
    assert page.get_by_text("Capture 398,00").count() >= 1
