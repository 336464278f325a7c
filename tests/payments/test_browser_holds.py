"""In the browser: a refund at the provider times out; the order page shows the amount held
and offers no refund of it, so it cannot be refunded twice."""

import pytest

from orders.models import OperationKind, PaymentOperation
from payments.models import CallKind, CallState, ProviderCall, SandboxFault
from payments.services.calls import provider_action
from tests.support.browser import SCREENSHOTS, go, sign_in
from tests.support.orders import make_order

from .helpers import STAFF, sandbox_paid

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_refund_held_at_the_provider_is_not_offered_again(page, roles, staff, account):
    order = make_order(account)
    sandbox_paid(order)
    provider_action(order=order, kind=CallKind.CAPTURE, items=None, actor=STAFF)
    order_page = f"/{account.aid}/orders/{order.order_id}/"
    sign_in(page, staff["Administrator"])
    page.on("dialog", lambda dialog: dialog.accept())

    # The refund at the provider times out after doing it.
    go(page, order_page)
    page.get_by_test_id("payments-panel").get_by_text("Sandbox: make the next call fail").click()
    page.get_by_label("Next").select_option("refund")
    page.get_by_label("will").select_option("timeout")
    page.get_by_role("button", name="Set").click()
    page.get_by_test_id("payments-notice").filter(has_text="next refund will").wait_for()
    assert SandboxFault.objects.filter(account=account.aid, kind="refund").exists()
    go(page, order_page)
    page.get_by_role("button", name="Refund at provider").click()
    page.get_by_test_id("payments-notice").filter(has_text="did not answer").wait_for()
    [call] = ProviderCall.objects.filter(kind=CallKind.REFUND)
    assert call.state == CallState.UNKNOWN

    # The order page says the amount is held, and neither records nor offers it again.
    go(page, order_page)
    assert page.get_by_test_id("held-refundable").inner_text().startswith("398,00")
    assert str(call.pk)[:8] in page.get_by_test_id("holds").inner_text()
    assert page.get_by_role("link", name="Refund", exact=True).count() == 0
    page.screenshot(path=str(SCREENSHOTS / "order_page_with_a_held_refund.png"), full_page=True)
    go(page, f"{order_page}refund/")
    assert page.get_by_text("No line has anything left to refund").count() == 1
    assert str(call.pk)[:8] in page.get_by_test_id("holds").inner_text()
    assert not PaymentOperation.objects.filter(order=order, kind=OperationKind.REFUND).exists()
